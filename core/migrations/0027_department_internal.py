"""Internal work of a department (issue 11): `work_order.assignee`, the handler a department head gave
the case to, and `work_order.head_request`, the return, extension or suspension request waiting for the
head; `department.requests_via_head`, whether a department's requests go via its head (default: straight
to the centre, as before).

Written by hand in the style of the generated migrations; frozen: never edit an applied migration, add a
numbered one."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column(
            "work_order",
            "assignee_id",
            ForeignKeyField(User, field=User.id, null=True, on_delete="SET NULL", index=False),
        ),
        migrator.add_column("work_order", "head_request", CharField(max_length=12, default="")),
        migrator.add_column("department", "requests_via_head", BooleanField(default=False)),
    )
    migrator.migrate(migrator.add_index("work_order", ("assignee_id", "status", "stage_due_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("work_order", "work_order_assignee_id_status_stage_due_at"))
    migrator.migrate(
        migrator.drop_column("department", "requests_via_head"),
        migrator.drop_column("work_order", "head_request"),
        migrator.drop_column("work_order", "assignee_id"),
    )
