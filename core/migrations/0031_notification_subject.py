"""Notifications about any subject, not only a case: `notification.subject_kind` + `subject_id` replace
`order_id` (its rows become subject "workorder"), the unique index follows; and `contact_notice`, what was
sent to a party's phone or e-mail (core.notifications).

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *
from playhouse.migrate import SqliteMigrator

OLD_UNIQUE = "notification_user_id_order_id_kind_due"
NEW_UNIQUE = "notification_user_id_subject_kind_subject_id_kind_due"


def _legacy(migrator) -> dict:
    """SQLite's own DROP COLUMN refuses a column in a foreign key: rebuild the table instead."""
    return {"legacy": True} if isinstance(migrator, SqliteMigrator) else {}


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("notification", "subject_kind", CharField(max_length=30, null=True)),
        migrator.add_column("notification", "subject_id", IntegerField(null=True)),
    )
    db.execute_sql(
        "UPDATE notification SET subject_kind = 'workorder', subject_id = order_id WHERE order_id IS NOT NULL"
    )
    migrator.migrate(
        migrator.drop_index("notification", OLD_UNIQUE),
        migrator.drop_column("notification", "order_id", **_legacy(migrator)),
        migrator.add_index("notification", ("user_id", "subject_kind", "subject_id", "kind", "due"), True),
    )

    class ContactNotice(Model):
        at = DateTimeField(index=True)
        contact = CharField(max_length=120)
        name = CharField(max_length=60, default="")
        subject_kind = CharField(max_length=30, null=True)
        subject_id = IntegerField(null=True)
        kind = CharField(max_length=20)
        text = TextField()

        class Meta:
            database = db
            table_name = "contact_notice"

    db.create_tables([ContactNotice])


def down(migrator, db):
    db.execute_sql("DROP TABLE contact_notice")

    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    migrator.migrate(
        migrator.drop_index("notification", NEW_UNIQUE),
        migrator.add_column(
            "notification", "order_id", ForeignKeyField(WorkOrder, null=True, on_delete="CASCADE", field=WorkOrder.id)
        ),
    )
    db.execute_sql("UPDATE notification SET order_id = subject_id WHERE subject_kind = 'workorder'")
    migrator.migrate(
        migrator.drop_column("notification", "subject_kind"),
        migrator.drop_column("notification", "subject_id"),
        migrator.add_index("notification", ("user_id", "order_id", "kind", "due"), True),
    )
