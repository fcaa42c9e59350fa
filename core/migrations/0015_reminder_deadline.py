"""Supervision reminders are sent once per case, level and deadline: an extension or a rework gives the case
a new deadline, and its head is reminded again as it comes near. `notification.due` is the deadline a
reminder was about; earlier reminders take their case's deadline of now (the one they were sent about,
unless it moved since, in which case the head is reminded once more).

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("notification", "due", DateTimeField(null=True)),
        migrator.drop_index("notification", "notification_user_id_order_id_kind"),
        migrator.add_index("notification", ("user_id", "order_id", "kind", "due"), True),
    )
    db.execute_sql(
        "UPDATE notification SET due = (SELECT due_at FROM work_order WHERE work_order.id = notification.order_id)"
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("notification", "notification_user_id_order_id_kind_due"),
        migrator.drop_column("notification", "due"),
    )
    db.execute_sql(
        "DELETE FROM notification WHERE id NOT IN (SELECT MIN(id) FROM notification GROUP BY user_id, order_id, kind)"
    )
    migrator.migrate(migrator.add_index("notification", ("user_id", "order_id", "kind"), True))
