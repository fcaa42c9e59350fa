"""Saved filters of the case list (`saved_filter`): a user's named query string of /orders/, one name
once per user.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class SavedFilter(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        name = CharField(max_length=60)
        query = CharField(max_length=1000)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "saved_filter"
            indexes = ((("user", "name"), True),)

    db.create_tables([SavedFilter])


def down(migrator, db):
    db.execute_sql("DROP TABLE saved_filter")
