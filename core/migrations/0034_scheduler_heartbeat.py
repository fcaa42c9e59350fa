"""The scheduler's heartbeat: `scheduler_heartbeat (id, runner, beat_at)`, one row (id 1) that the process
holding the scheduler lock rewrites every 30 s, so that /healthz and the other processes can tell its age.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class SchedulerHeartbeat(Model):
        id = IntegerField(primary_key=True)
        runner = CharField(max_length=120)
        beat_at = DateTimeField()

        class Meta:
            database = db
            table_name = "scheduler_heartbeat"

    db.create_tables([SchedulerHeartbeat])


def down(migrator, db):
    db.execute_sql("DROP TABLE scheduler_heartbeat")
