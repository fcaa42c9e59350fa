"""Department suggestions (core/dispatch_rules.py): rules per category × area, and the case's suggested
department kept apart from the department it is dispatched to. Cases never dispatched had their
category's default department in `department`; it moves to `suggested_department`, so that a department
sees only the cases dispatched to it.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class Category(Model):
        class Meta:
            database = db
            table_name = "category"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class DispatchRule(Model):
        category = ForeignKeyField(Category, on_delete="CASCADE")
        area = ForeignKeyField(Area, on_delete="CASCADE")
        department = ForeignKeyField(Department, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "dispatch_rule"
            indexes = ((("category", "area"), True),)

    db.create_tables([DispatchRule])

    migrator.migrate(
        migrator.add_column(
            "work_order",
            "suggested_department_id",
            ForeignKeyField(Department, field=Department.id, null=True, on_delete="SET NULL"),
        )
    )
    db.execute_sql(
        "UPDATE work_order SET suggested_department_id = department_id, department_id = NULL "
        "WHERE dispatched_at IS NULL"
    )


def down(migrator, db):
    db.execute_sql(
        "UPDATE work_order SET department_id = suggested_department_id "
        "WHERE dispatched_at IS NULL AND department_id IS NULL"
    )
    migrator.migrate(migrator.drop_index("work_order", "work_order_suggested_department_id"))
    migrator.migrate(migrator.drop_column("work_order", "suggested_department_id"))
    migrator.migrate(migrator.drop_table("dispatch_rule"))
