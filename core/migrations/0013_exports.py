"""Background Excel exports (core/exports/models.py): one row per export, its progress and its file's name.

Written from the model now in core/exports/models.py in the style playhouse.migrations generates, then frozen:
never edit an applied migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ExportJob(Model):
        user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
        kind = CharField(max_length=40)
        params = TextField(null=True)
        status = CharField(max_length=12, default="running")
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        filename = CharField(max_length=255, default="")
        error = TextField(default="")
        runner = CharField(max_length=120, default="")
        started_at = DateTimeField(index=True)
        ended_at = DateTimeField(null=True)
        going_user = IntegerField(null=True, unique=True)

        class Meta:
            database = db
            table_name = "export_job"

    db.create_tables([ExportJob])


def down(migrator, db):
    db.execute_sql("DROP TABLE export_job")
