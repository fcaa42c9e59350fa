"""A background export records when its worker last wrote progress (`export_job.heartbeat_at`): an export
whose worker runs in another process of another host and has been silent for longer than
core.exports.jobs.HEARTBEAT_LIMIT is taken for dead, so that its user may export again at once rather than
after an hour.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("export_job", "heartbeat_at", DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("export_job", "heartbeat_at"))
