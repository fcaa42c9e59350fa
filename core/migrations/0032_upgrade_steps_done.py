"""The upgrade steps that run once (`UpgradeStep(..., once=True)`) and have run: `upgrade_step_done (name, at)`.
`flask db upgrade` skips a step named here.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class UpgradeStepDone(Model):
        name = CharField(max_length=200, primary_key=True)
        at = DateTimeField()

        class Meta:
            database = db
            table_name = "upgrade_step_done"

    db.create_tables([UpgradeStepDone])


def down(migrator, db):
    db.execute_sql("DROP TABLE upgrade_step_done")
