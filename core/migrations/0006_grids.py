"""Unit-grid geometry: the shapes of the areas of the grid tree with their validity dates, and the record of
grid imports. The `area` table is not touched: a redrawn grid keeps its Area row, its shape is versioned.

Generated from the models in core/grids.py by playhouse.migrations, then frozen: never edit an applied
migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class GridShape(Model):
        area = ForeignKeyField(Area, on_delete="CASCADE")
        geometry = TextField()
        min_lon = DoubleField()
        min_lat = DoubleField()
        max_lon = DoubleField()
        max_lat = DoubleField()
        area_m2 = DoubleField()
        valid_from = DateField()
        valid_to = DateField(null=True)
        source = CharField(max_length=255, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "grid_shape"
            indexes = ((("min_lon", "max_lon"), False), (("min_lat", "max_lat"), False))

    GridShape.add_index(
        GridShape.index(GridShape.area, unique=True, name="grid_shape_current").where(GridShape.valid_to.is_null())
    )
    db.create_tables([GridShape])

    class GridImport(Model):
        filename = CharField(max_length=255)
        status = CharField(max_length=12, default="running")
        crs = CharField(max_length=8)
        valid_from = DateField()
        accept_warnings = BooleanField(default=False)
        dry_run = BooleanField(default=False)
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        counts = TextField(null=True)
        errors = TextField(null=True)
        warnings = TextField(null=True)
        legacy = TextField(null=True)
        error = TextField(default="")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        runner = CharField(max_length=120, default="")
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "grid_import"

    db.create_tables([GridImport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("grid_import"))
    migrator.migrate(migrator.drop_table("grid_shape"))
