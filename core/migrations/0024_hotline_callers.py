"""Hotline intake as operators work (issue 11): `merged_caller`, the further callers about a case
already open (core.workorders.hotline.merge), and `call_back`, the centre's call to a caller once the
case is closed (satisfied, not satisfied, unreachable).

Written from the models in the style playhouse.migrations generates, then frozen: never edit an applied
migration, add a numbered one."""

from peewee import *


def up(migrator, db):
    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    class WorkOrderEvent(Model):
        class Meta:
            database = db
            table_name = "work_order_event"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class MergedCaller(Model):
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
        caller_name = CharField(max_length=60, default="")
        caller_phone = CharField(max_length=30, default="", index=True)
        tracking_code = CharField(max_length=12, null=True)
        at = DateTimeField()
        operator = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "merged_caller"

    class CallBack(Model):
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
        at = DateTimeField(index=True)
        caller = ForeignKeyField(User, null=True, on_delete="SET NULL")
        caller_name = CharField(max_length=60, default="")
        outcome = CharField(max_length=20)
        note = TextField(default="")

        class Meta:
            database = db
            table_name = "call_back"

    db.create_tables([MergedCaller, CallBack])


def down(migrator, db):
    db.execute_sql("DROP TABLE call_back")
    db.execute_sql("DROP TABLE merged_caller")
