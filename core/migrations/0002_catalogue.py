"""Categories of components and events, filing standards, and the record of catalogue imports.

Generated from the models in core/catalogue.py (now core/catalogue/models.py) by playhouse.migrations, then
frozen: never edit an applied migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Category(Model):
        kind = CharField(max_length=10)
        edition = CharField(max_length=4)
        class_code = CharField(max_length=2)
        class_name = CharField(max_length=60)
        code = CharField(max_length=5)
        name = CharField(max_length=100)
        default_department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "category"
            indexes = ((("edition", "kind", "code"), True),)

    db.create_tables([Category])

    class FilingStandard(Model):
        category = ForeignKeyField(Category, on_delete="CASCADE")
        seq = IntegerField()
        filing_condition = CharField(max_length=500)
        limit_text = CharField(max_length=60)
        limit_value = DecimalField(max_digits=8, decimal_places=2)
        limit_unit = CharField(max_length=20)
        limit_note = CharField(max_length=60, default="")
        closing_condition = TextField(default="")
        handling_unit = TextField(default="")
        supervising_unit = TextField(default="")
        source = CharField(max_length=255, default="")
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "filing_standard"
            indexes = ((("category", "filing_condition"), True),)

    db.create_tables([FilingStandard])

    class CatalogueImport(Model):
        filename = CharField(max_length=255)
        status = CharField(max_length=12, default="running")
        skip_rejected = BooleanField(default=False)
        dry_run = BooleanField(default=False)
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        counts = TextField(null=True)
        rejected = TextField(null=True)
        error = TextField(default="")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        runner = CharField(max_length=120, default="")
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "catalogue_import"

    db.create_tables([CatalogueImport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("catalogue_import"))
    migrator.migrate(migrator.drop_table("filing_standard"))
    migrator.migrate(migrator.drop_table("category"))
