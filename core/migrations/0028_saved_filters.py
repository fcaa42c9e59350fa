"""Saved filters of the case list (`saved_filter`): a user's named query string of /orders/, one name
once per user. And the indexes that let a box of the list be sorted by number or by time since the
report without reading every case: (status, number) and (status, reported_at); at a million cases,
sorting the dispatcher's inbox by number took 1.9 s without, about 20 ms with (see
core.workorders.queries.column_parts).

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *

INDEXES = (("status", "number"), ("status", "reported_at"))


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
    for columns in INDEXES:
        migrator.migrate(migrator.add_index("work_order", columns, name="workorder_" + "_".join(columns)))


def down(migrator, db):
    for columns in INDEXES:
        migrator.migrate(migrator.drop_index("work_order", "workorder_" + "_".join(columns)))
    db.execute_sql("DROP TABLE saved_filter")
