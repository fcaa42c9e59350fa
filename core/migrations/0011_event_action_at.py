"""An index on work_order_event (action, at): the dashboard's figures count events of given actions
within a period, and neither single-column index serves that on a long history.

Generated from a schema diff by playhouse.migrations, then frozen: never edit an applied migration, add
a numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index("work_order_event", ("action", "at")))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("work_order_event", "work_order_event_action_at"))
