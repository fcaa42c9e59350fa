"""One table of attached photos for everything (core.attachments): `attachment (subject_kind, subject_id,
photo, stage, event_id, added_by, added_at)`. The cases' photos (`work_order_photo`) become attachments
of kind "workorder" with their stage and event (added_by: the event's actor), and that table goes; a
manual deduction's evidence photo (`deduction.photo_id`) becomes an attachment of kind
"evaluation.deduction" (added_by: the deduction's author), and that column goes.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *

COPY_CASE_PHOTOS = (
    "INSERT INTO attachment (subject_kind, subject_id, photo_id, stage, event_id, added_by_id, added_at) "
    "SELECT 'workorder', p.order_id, p.photo_id, p.stage, p.event_id, e.actor_id, p.added_at "
    "FROM work_order_photo p LEFT JOIN work_order_event e ON e.id = p.event_id ORDER BY p.id"
)
COPY_BACK_CASE_PHOTOS = (
    "INSERT INTO work_order_photo (order_id, photo_id, stage, event_id, added_at) "
    "SELECT a.subject_id, a.photo_id, a.stage, e.id, a.added_at FROM attachment a "
    "LEFT JOIN work_order_event e ON e.id = a.event_id WHERE a.subject_kind = 'workorder' ORDER BY a.id"
)

COPY_DEDUCTION_PHOTOS = (
    "INSERT INTO attachment (subject_kind, subject_id, photo_id, stage, event_id, added_by_id, added_at) "
    "SELECT 'evaluation.deduction', id, photo_id, NULL, NULL, author_id, created_at "
    "FROM deduction WHERE photo_id IS NOT NULL ORDER BY id"
)
COPY_BACK_DEDUCTION_PHOTOS = (
    "UPDATE deduction SET photo_id = (SELECT MIN(a.photo_id) FROM attachment a "
    "WHERE a.subject_kind = 'evaluation.deduction' AND a.subject_id = deduction.id)"
)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class Attachment(Model):
        subject_kind = CharField(max_length=40)
        subject_id = IntegerField()
        photo = ForeignKeyField(Photo, on_delete="RESTRICT")
        stage = CharField(max_length=12, null=True)
        event_id = IntegerField(null=True)
        added_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        added_at = DateTimeField()

        class Meta:
            database = db
            table_name = "attachment"
            indexes = (
                (("subject_kind", "subject_id", "photo", "stage"), True),
                (("subject_kind", "subject_id"), False),
            )

    db.create_tables([Attachment])
    db.execute_sql(COPY_CASE_PHOTOS)
    db.execute_sql("DROP TABLE work_order_photo")
    db.execute_sql(COPY_DEDUCTION_PHOTOS)
    migrator.migrate(migrator.drop_index("deduction", "deduction_photo_id"))
    # SQLite's own DROP COLUMN refuses a column in a foreign key: peewee rebuilds the table there instead
    legacy = {"legacy": True} if isinstance(db, SqliteDatabase) else {}
    migrator.migrate(migrator.drop_column("deduction", "photo_id", **legacy))


def down(migrator, db):
    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    class WorkOrderEvent(Model):
        class Meta:
            database = db
            table_name = "work_order_event"

    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class WorkOrderPhoto(Model):
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        photo = ForeignKeyField(Photo, on_delete="RESTRICT")
        stage = CharField(max_length=12)
        event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
        added_at = DateTimeField()

        class Meta:
            database = db
            table_name = "work_order_photo"
            indexes = ((("order", "photo", "stage"), True),)

    db.create_tables([WorkOrderPhoto])
    db.execute_sql(COPY_BACK_CASE_PHOTOS)
    field = ForeignKeyField(Photo, field=Photo.id, null=True, on_delete="SET NULL")
    migrator.migrate(migrator.add_column("deduction", "photo_id", field))
    db.execute_sql(COPY_BACK_DEDUCTION_PHOTOS)
    db.execute_sql("DROP TABLE attachment")
