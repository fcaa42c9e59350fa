"""The flyer register's table, frozen as models.py had it: never edit an applied migration."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Flyer(Model):
        place = CharField(max_length=200)
        phone = CharField(max_length=20, default="")
        found_at = DateTimeField()
        found_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        removed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "flyers_flyer"

    db.create_tables([Flyer])


def down(migrator, db):
    db.execute_sql('DROP TABLE "flyers_flyer"')
