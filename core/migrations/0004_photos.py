"""Photos: one row per distinct upload (by content hash); the files live under PHOTO_DIR.

Generated from core.photos.Photo by playhouse.migrations, then frozen: never edit an applied
migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Photo(Model):
        sha256 = CharField(unique=True, max_length=64)
        mime = CharField(max_length=20)
        ext = CharField(max_length=5)
        width = IntegerField()
        height = IntegerField()
        size_bytes = IntegerField()
        taken_at = DateTimeField(null=True)
        latitude = DoubleField(null=True)
        longitude = DoubleField(null=True)
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        uploaded_at = DateTimeField()

        class Meta:
            database = db
            table_name = "photo"

    db.create_tables([Photo])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("photo"))
