"""Work-order lists filtered by grid, category and status: one index on (grid_id, category_id, status,
stage_due_at) answers the filter, the count and the page's ids without reading the table. It leads with
grid_id, so it replaces the single-column index on that foreign key.

Generated from a schema diff of core/workorders/models.py by playhouse.migrations (index named as the
model names it), then frozen: never edit an applied migration, add a numbered one."""

from peewee import *

INDEX = "workorder_grid_id_category_id_status_stage_due_at"


def up(migrator, db):
    migrator.migrate(migrator.add_index("work_order", ("grid_id", "category_id", "status", "stage_due_at"), name=INDEX))
    migrator.migrate(migrator.drop_index("work_order", "workorder_grid_id"))


def down(migrator, db):
    migrator.migrate(migrator.add_index("work_order", ("grid_id",), name="workorder_grid_id"))
    migrator.migrate(migrator.drop_index("work_order", INDEX))
