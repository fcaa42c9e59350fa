"""Core tables: organisation, audit trail, settings, areas, scheduler.

Generated from the core models by playhouse.migrations, then frozen: never edit an applied
migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        code = CharField(unique=True, max_length=20)
        name = CharField(max_length=100)
        level = CharField(index=True, max_length=12)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        valid_from = DateField(null=True)
        valid_to = DateField(null=True)

        class Meta:
            database = db
            table_name = "area"

    db.create_tables([Area])

    class Department(Model):
        name = CharField(max_length=100)
        code = CharField(unique=True, max_length=40)
        type = CharField(max_length=20)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        phone = CharField(max_length=40, default="")
        sort = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "department"

    db.create_tables([Department])

    class User(Model):
        username = CharField(unique=True, max_length=40)
        name = CharField(max_length=60)
        phone = CharField(max_length=30, default="")
        department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")
        active = BooleanField(default=True)
        language = CharField(max_length=10, default="zh_CN")
        password_hash = CharField()
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_login_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "user"

    db.create_tables([User])

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        actor_name = CharField(max_length=60, default="")
        action = CharField(index=True, max_length=60)
        object_type = CharField(max_length=40)
        object_id = CharField(max_length=40, default="")
        summary = TextField(default="")
        before = TextField(null=True)
        after = TextField(null=True)
        ip = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "audit_entry"

    db.create_tables([AuditEntry])

    class JobRun(Model):
        job_id = CharField(index=True, max_length=80)
        trigger = CharField(max_length=12)
        started_at = DateTimeField(index=True)
        ended_at = DateTimeField(null=True)
        outcome = CharField(max_length=12, default="running")
        summary = TextField(default="")
        error = TextField(default="")
        runner = CharField(max_length=120, default="")

        class Meta:
            database = db
            table_name = "job_run"

    db.create_tables([JobRun])

    class Permission(Model):
        name = CharField(primary_key=True, max_length=80)
        source = CharField(max_length=60)

        class Meta:
            database = db
            table_name = "permission"

    db.create_tables([Permission])

    class Role(Model):
        code = CharField(unique=True, max_length=40)
        name = CharField(max_length=60)
        builtin = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "role"

    db.create_tables([Role])

    class RolePermission(Model):
        role = ForeignKeyField(Role, on_delete="CASCADE")
        permission = ForeignKeyField(Permission, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "role_permission"
            indexes = ((("role", "permission"), True),)

    db.create_tables([RolePermission])

    class ScheduledJob(Model):
        id = CharField(primary_key=True, max_length=80)
        plugin = CharField(max_length=60)
        schedule = CharField(max_length=60)
        next_run_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "scheduled_job"

    db.create_tables([ScheduledJob])

    class Setting(Model):
        key = CharField(primary_key=True, max_length=80)
        value = TextField()

        class Meta:
            database = db
            table_name = "setting"

    db.create_tables([Setting])

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = ForeignKeyField(Role, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "user_role"
            indexes = ((("user", "role"), True),)

    db.create_tables([UserRole])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("user_role"))
    migrator.migrate(migrator.drop_table("setting"))
    migrator.migrate(migrator.drop_table("scheduled_job"))
    migrator.migrate(migrator.drop_table("role_permission"))
    migrator.migrate(migrator.drop_table("role"))
    migrator.migrate(migrator.drop_table("permission"))
    migrator.migrate(migrator.drop_table("job_run"))
    migrator.migrate(migrator.drop_table("audit_entry"))
    migrator.migrate(migrator.drop_table("user"))
    migrator.migrate(migrator.drop_table("department"))
    migrator.migrate(migrator.drop_table("area"))
