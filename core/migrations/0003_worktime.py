"""Working-time calendar: special days (public holidays and make-up working days).

Generated from core.worktime's models by playhouse.migrations, then frozen: never edit an applied
migration, add a numbered one. The working periods and weekdays live in `setting` (0001)."""

from peewee import *


def up(migrator, db):
    class CalendarDay(Model):
        date = DateField(unique=True)
        kind = CharField(max_length=10)
        name = CharField(max_length=60, default="")

        class Meta:
            database = db
            table_name = "calendar_day"

    db.create_tables([CalendarDay])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("calendar_day"))
