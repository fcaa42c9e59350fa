"""One table of quoted numbers for every series (core.numbers): `number_series (series, year, last)`.
The case numbers' yearly counter (`number_counter`) becomes the series "case", with its last numbers.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class NumberSeries(Model):
        series = CharField(max_length=60)
        year = IntegerField()
        last = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "number_series"
            primary_key = CompositeKey("series", "year")

    db.create_tables([NumberSeries])
    db.execute_sql("INSERT INTO number_series (series, year, last) SELECT 'case', year, last FROM number_counter")
    db.execute_sql("DROP TABLE number_counter")


def down(migrator, db):
    db.execute_sql("CREATE TABLE number_counter (year INTEGER NOT NULL PRIMARY KEY, last INTEGER NOT NULL)")
    db.execute_sql("INSERT INTO number_counter (year, last) SELECT year, last FROM number_series WHERE series = 'case'")
    db.execute_sql("DROP TABLE number_series")
