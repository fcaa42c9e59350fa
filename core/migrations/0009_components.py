"""The component census: components, their status history and census imports; and the work order's link
to the component it is about.

Generated from the models in core/components/models.py by playhouse.migrations, then frozen: never edit an
applied migration, add a numbered one."""

from peewee import *

from core.db import JSONField


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

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Component(Model):
        code = CharField(unique=True, max_length=17)
        name = CharField(max_length=100)
        category = ForeignKeyField(Category, on_delete="RESTRICT")
        status = CharField(index=True, max_length=12)
        supervising_department = CharField(max_length=100, default="")
        owning_department = CharField(max_length=100, default="")
        maintaining_department = CharField(max_length=100, default="")
        maintainer = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        survey_date = DateField(null=True)
        changed_on = DateField(null=True)
        source = CharField(max_length=100, default="")
        longitude = DoubleField()
        latitude = DoubleField()
        grid = ForeignKeyField(Area, on_delete="RESTRICT")
        address = CharField(max_length=200, default="")
        note = CharField(max_length=500, default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "component"

    db.create_tables([Component])

    class ComponentImport(Model):
        filename = CharField()
        status = CharField(max_length=12, default="running")
        crs = CharField(max_length=8, default="wgs84")
        skip_bad = BooleanField(default=False)
        dry_run = BooleanField(default=False)
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        counts = JSONField(null=True)
        rejected = JSONField(null=True)
        error = TextField(default="")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        runner = CharField(max_length=120, default="")
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "component_import"

    db.create_tables([ComponentImport])

    class ComponentStatusChange(Model):
        component = ForeignKeyField(Component, on_delete="CASCADE")
        from_status = CharField(max_length=12, default="")
        to_status = CharField(max_length=12)
        at = DateTimeField(index=True)
        by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        note = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "component_status_change"

    db.create_tables([ComponentStatusChange])

    migrator.migrate(
        migrator.add_column(
            "work_order",
            "component_id",
            ForeignKeyField(Component, field=Component.id, null=True, on_delete="SET NULL"),
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index("work_order", "work_order_component_id"))
    migrator.migrate(migrator.drop_column("work_order", "component_id"))
    migrator.migrate(migrator.drop_table("component_status_change"))
    migrator.migrate(migrator.drop_table("component_import"))
    migrator.migrate(migrator.drop_table("component"))
