"""Sessions that end on the server's word, and throttling per client address (issue 19): the user's
session version, the ids of logged-out sessions (core/sessions.py), and attempt counts per form, address
and window (core/throttle.py).

Written from the models in the style playhouse.migrations generates, then frozen: never edit an applied
migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("user", "session_version", IntegerField(default=0)))

    class EndedSession(Model):
        sid = CharField(max_length=32, primary_key=True)
        expires_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "ended_session"

    class ThrottleHit(Model):
        scope = CharField(max_length=40)
        address = CharField(max_length=64)
        window_start = DateTimeField()
        expires_at = DateTimeField(index=True)
        hits = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "throttle_hit"
            indexes = ((("scope", "address", "window_start"), True),)

    db.create_tables([EndedSession, ThrottleHit])


def down(migrator, db):
    db.execute_sql("DROP TABLE throttle_hit")
    db.execute_sql("DROP TABLE ended_session")
    migrator.migrate(migrator.drop_column("user", "session_version"))
