"""The audit log's sentences kept per language (core.audit.AuditText), so the entries of a plugin later
disabled or removed still read as sentences.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class AuditText(Model):
        code = CharField(max_length=80)
        locale = CharField(max_length=10)
        plugin = CharField(max_length=60)
        sentence = TextField(default="")
        fields = TextField(default="{}")
        values = TextField(default="{}")

        class Meta:
            database = db
            table_name = "audit_text"
            primary_key = CompositeKey("code", "locale")

    db.create_tables([AuditText])


def down(migrator, db):
    db.execute_sql("DROP TABLE audit_text")
