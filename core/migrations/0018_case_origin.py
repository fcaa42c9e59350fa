"""Cases know where they come from and how they ended (core.workorders.cases): `work_order.origin_plugin`,
`origin_kind` and `origin_id` (a campaign finds its cases by them), `outcome` (handled, object gone,
duplicate, withdrawn: evaluation tells a case that ended because its object went away from one the
department handled), and `outside_areas` (a collector's report from outside their patrol areas).

The zombie-car campaign's existing tow cases get their origin from its notices, when its tables are
there. Every existing case was ended by the loop itself: its outcome stays "".

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("work_order", "origin_plugin", CharField(max_length=40, default="")),
        migrator.add_column("work_order", "origin_kind", CharField(max_length=40, default="")),
        migrator.add_column("work_order", "origin_id", CharField(max_length=40, default="")),
        migrator.add_column("work_order", "outcome", CharField(max_length=20, default="")),
        migrator.add_column("work_order", "outside_areas", BooleanField(default=False)),
        migrator.add_index("work_order", ("origin_plugin", "origin_kind", "origin_id"), False),
    )
    fill_zombie_car_origins(db)


def fill_zombie_car_origins(db):
    """The tow cases of the zombie-car campaign are its vehicles' (origin_kind "vehicle")."""
    if "zombie_cars_notice" in db.get_tables():
        db.execute_sql(
            "UPDATE work_order SET origin_plugin = 'zombie_cars', origin_kind = 'vehicle', origin_id = "
            "(SELECT CAST(n.vehicle_id AS VARCHAR(40)) FROM zombie_cars_notice n WHERE n.tow_order_id = work_order.id) "
            "WHERE id IN (SELECT tow_order_id FROM zombie_cars_notice WHERE tow_order_id IS NOT NULL)"
        )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("work_order", "work_order_origin_plugin_origin_kind_origin_id"),
        migrator.drop_column("work_order", "outside_areas"),
        migrator.drop_column("work_order", "outcome"),
        migrator.drop_column("work_order", "origin_id"),
        migrator.drop_column("work_order", "origin_kind"),
        migrator.drop_column("work_order", "origin_plugin"),
    )
