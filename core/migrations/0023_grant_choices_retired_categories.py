"""Administrators' decisions on role × permission (/admin/roles), so that `flask db upgrade` can let every
other grant follow the roles the code declares (core.permissions.sync). Decisions taken before are read
back from the audit trail (`role.grant` / `role.revoke`, the last one per role and permission wins).

`category.retired`: a plugin's category that no plugin registers any more (core.catalogue.plugin_categories.
sync_plugin_categories); kept for the cases filed under it, offered in no picker.

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

import json

from peewee import *


def up(migrator, db):
    class Permission(Model):
        name = CharField(primary_key=True, max_length=80)

        class Meta:
            database = db
            table_name = "permission"

    class Role(Model):
        class Meta:
            database = db
            table_name = "role"

    class GrantChoice(Model):
        role = ForeignKeyField(Role, on_delete="CASCADE")
        permission = ForeignKeyField(Permission, on_delete="CASCADE")
        granted = BooleanField()

        class Meta:
            database = db
            table_name = "grant_choice"
            indexes = ((("role", "permission"), True),)

    db.create_tables([GrantChoice])
    migrator.migrate(migrator.add_column("category", "retired", BooleanField(default=False)))

    roles = {str(role_id) for (role_id,) in db.execute_sql("SELECT id FROM role")}
    permissions = {name for (name,) in db.execute_sql("SELECT name FROM permission")}
    choices = {}
    rows = db.execute_sql(
        "SELECT object_id, after FROM audit_entry WHERE action IN ('role.grant', 'role.revoke') ORDER BY id"
    )
    for role_id, after in rows:
        for name, granted in (json.loads(after) if after else {}).items():
            if role_id in roles and name in permissions:
                choices[(int(role_id), name)] = bool(granted)
    for (role_id, name), granted in choices.items():
        GrantChoice.insert(role=role_id, permission=name, granted=granted).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_column("category", "retired"))
    db.execute_sql("DROP TABLE grant_choice")
