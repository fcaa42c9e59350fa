"""Edits never lose an update, and a report is saved once:

- `version` on every row an edit form changes (department, user, category, filing_standard): the form
  carries the version it showed and the save is `UPDATE ... WHERE id = ? AND version = ?` (core/editing.py);
- `submission_key`: the idempotency key of a report or hotline form, one row per case created from it,
  unique, so that a repeated post (a retry on a poor connection, a double click) finds the first case.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *

VERSIONED = ["department", "user", "category", "filing_standard"]


def up(migrator, db):
    migrator.migrate(*[migrator.add_column(table, "version", IntegerField(default=1)) for table in VERSIONED])

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    class SubmissionKey(Model):
        key = CharField(max_length=64, primary_key=True)
        user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE", backref="+")
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "submission_key"

    db.create_tables([SubmissionKey])


def down(migrator, db):
    db.execute_sql("DROP TABLE submission_key")
    migrator.migrate(*[migrator.drop_column(table, "version") for table in VERSIONED])
