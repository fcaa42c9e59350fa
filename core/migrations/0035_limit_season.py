"""A case's time limit may be counted in a season (issue 12, "种植季节15工作日"): `work_order.limit_season` (copied
from the filing standard's limit words when filed, "planting" or "") and `work_order.clock_from` (when the
current handling round's clock starts, when the season made it wait). Cases filed before it get their
standard's season (portable SQL); their deadlines already computed stay as they are.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("work_order", "limit_season", CharField(max_length=20, default="")),
        migrator.add_column("work_order", "clock_from", DateTimeField(null=True)),
    )
    db.execute_sql(
        "UPDATE work_order SET limit_season = 'planting' WHERE standard_id IN "
        f"(SELECT id FROM filing_standard WHERE limit_note LIKE {db.param})",
        ("%季节%",),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("work_order", "clock_from"),
        migrator.drop_column("work_order", "limit_season"),
    )
