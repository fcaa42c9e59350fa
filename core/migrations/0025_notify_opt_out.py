"""The kinds of notification a user wants only in the app (`notify_opt_out`): the others are also sent on
through the notify hook (SMS, messaging apps).

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class NotifyOptOut(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        kind = CharField(max_length=20)

        class Meta:
            database = db
            table_name = "notify_opt_out"
            indexes = ((("user", "kind"), True),)

    db.create_tables([NotifyOptOut])


def down(migrator, db):
    db.execute_sql("DROP TABLE notify_opt_out")
