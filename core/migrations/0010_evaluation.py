"""Evaluation: manual deductions, snapshots and their versions; two indexes on the event log (by action
and time, and by the stage an event stopped and its deadline, `data.ended_stage`, `data.ended_due`).

Written from the models in core/evaluation/models.py in the style playhouse.migrations generates, then
frozen: never edit an applied migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Deduction(Model):
        level = CharField(max_length=16)
        object_key = CharField(max_length=20)
        object_name = CharField(max_length=100, default="")
        day = DateField(index=True)
        points = DecimalField(max_digits=6, decimal_places=2)
        reason = TextField()
        photo = ForeignKeyField(Photo, null=True, on_delete="SET NULL")
        author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField()
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        withdraw_reason = TextField(default="")

        class Meta:
            database = db
            table_name = "deduction"
            indexes = ((("level", "object_key"), False),)

    class Snapshot(Model):
        period = CharField(max_length=24, unique=True)
        kind = CharField(max_length=8)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "snapshot"

    class SnapshotVersion(Model):
        snapshot = ForeignKeyField(Snapshot, backref="versions", on_delete="CASCADE")
        number = IntegerField()
        computed_at = DateTimeField()
        data = TextField()
        published_at = DateTimeField(null=True)
        published_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        note = TextField(default="")

        class Meta:
            database = db
            table_name = "snapshot_version"
            indexes = ((("snapshot", "number"), True),)

    db.create_tables([Deduction, Snapshot, SnapshotVersion])
    db.execute_sql("CREATE INDEX work_order_event_action_at ON work_order_event (action, at)")
    if isinstance(db, SqliteDatabase):
        db.execute_sql(
            "CREATE INDEX work_order_event_ended ON work_order_event "
            "(json_extract(data, '$.ended_stage'), json_extract(data, '$.ended_due'))"
        )
    else:
        db.execute_sql(
            "CREATE INDEX work_order_event_ended ON work_order_event "
            "((data::json ->> 'ended_stage'), (data::json ->> 'ended_due'))"
        )
