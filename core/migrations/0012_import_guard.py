"""One going import per kind, held by the database: on each import table a partial unique index on a
constant, over the rows whose status is running or writing, so that the second of two imports started at
the same instant fails to insert its row. Imports that two admins did start at once before this index
are closed first: the newest going one stays, the others are marked interrupted.

Written by hand from `core.background.one_at_a_time` (playhouse.migrations cannot write an index on an
expression), then frozen: never edit an applied migration, add a numbered one."""

from peewee import *

TABLES = ("catalogue_import", "grid_import", "component_import")
GOING = ("running", "writing")


def _job_table(db, table):
    class Job(Model):
        status = CharField(max_length=12)
        ended_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = table

    Job.add_index(Job.index(SQL("(1)"), unique=True, name=f"{table}_one_going").where(Job.status.in_(GOING)))
    return Job


def up(migrator, db):
    from core import clock

    for table in TABLES:
        Job = _job_table(db, table)
        newest = Job.select(fn.MAX(Job.id)).where(Job.status.in_(GOING)).scalar()
        if newest is not None:
            Job.update(status="interrupted", ended_at=clock.now()).where(
                Job.status.in_(GOING) & (Job.id != newest)
            ).execute()
        Job._schema.create_indexes(safe=False)


def down(migrator, db):
    for table in TABLES:
        migrator.migrate(migrator.drop_index(table, f"{table}_one_going"))
