"""When the current stage's warning light turns yellow (core.workorders.clocks.warn_time), so that
lists can be sorted by warning light in the database. Open cases are given theirs by `flask db upgrade`
after the migrations (core.workorders.clocks.fill_warn_times): it takes the working-time calendar, which a frozen
migration must not.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("work_order", "stage_warn_at", DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("work_order", "stage_warn_at"))
