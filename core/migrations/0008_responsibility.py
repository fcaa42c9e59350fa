"""Responsibility per unit grid: for each grid and department, the people answerable for it (core/responsibility/).
Collectors' areas stay in `grid_assignment`.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Responsibility(Model):
        area = ForeignKeyField(Area, on_delete="CASCADE")
        department = ForeignKeyField(Department, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE", index=True)
        role = CharField(max_length=40, default="责任人")
        since = DateTimeField()

        class Meta:
            database = db
            table_name = "responsibility"
            indexes = ((("area", "department", "user"), True),)

    db.create_tables([Responsibility])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("responsibility"))
