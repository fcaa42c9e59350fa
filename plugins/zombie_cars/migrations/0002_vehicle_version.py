"""A vehicle's `version`: its edit form carries the version it showed and the save is one conditional
UPDATE (core/editing.py), so of two saves at the same instant one wins and the other is told.

Written by hand; frozen: never edit an applied migration, add a numbered one."""

from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("zombie_cars_vehicle", "version", IntegerField(default=1)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("zombie_cars_vehicle", "version"))
