"""Two indexes for what every home page and every request count: the cases overdue now (status IN the
department statuses AND due_at < now: the dashboard's "Overdue now", read oldest first) and a user's
unread notifications (the header's badge, counted on every page from the index alone).

Written by hand in the style of the generated migrations (index names as the models name them); frozen:
never edit an applied migration, add a numbered one."""

from peewee import *

OVERDUE = "workorder_status_due_at"
UNREAD = "notification_user_id_read"


def up(migrator, db):
    migrator.migrate(migrator.add_index("work_order", ("status", "due_at"), name=OVERDUE))
    migrator.migrate(migrator.add_index("notification", ("user_id", "read"), name=UNREAD))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("work_order", OVERDUE))
    migrator.migrate(migrator.drop_index("notification", UNREAD))
