"""Work orders: cases, their event log, photos by stage, collectors' grids, notifications, numbers.

Generated from core.workorders.models by playhouse.migrations, then frozen."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class Category(Model):
        class Meta:
            database = db
            table_name = "category"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class FilingStandard(Model):
        class Meta:
            database = db
            table_name = "filing_standard"

    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class GridAssignment(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        area = ForeignKeyField(Area, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "grid_assignment"
            indexes = ((("user", "area"), True),)

    db.create_tables([GridAssignment])

    class WorkOrder(Model):
        number = CharField(unique=True, max_length=20)
        source = CharField(index=True, max_length=20)
        status = CharField(index=True, max_length=20)
        version = IntegerField(default=1)
        category = ForeignKeyField(Category, null=True, on_delete="RESTRICT")
        standard = ForeignKeyField(FilingStandard, null=True, on_delete="SET NULL")
        grid = ForeignKeyField(Area, null=True, on_delete="RESTRICT")
        department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")
        description = TextField(default="")
        address = CharField(max_length=200, default="")
        latitude = DecimalField(null=True, max_digits=9, decimal_places=6)
        longitude = DecimalField(null=True, max_digits=9, decimal_places=6)
        reporter = ForeignKeyField(User, null=True, on_delete="SET NULL")
        caller_name = CharField(max_length=60, default="")
        caller_phone = CharField(max_length=30, default="")
        tracking_code = CharField(unique=True, null=True, max_length=12)
        limit_value = DecimalField(null=True, max_digits=8, decimal_places=2)
        limit_unit = CharField(max_length=20, default="")
        reported_at = DateTimeField(index=True)
        filed_at = DateTimeField(null=True)
        dispatched_at = DateTimeField(null=True)
        handled_at = DateTimeField(null=True)
        closed_at = DateTimeField(index=True, null=True)
        due_at = DateTimeField(index=True, null=True)
        stage = CharField(max_length=12, default="")
        stage_started_at = DateTimeField(null=True)
        stage_due_at = DateTimeField(null=True)
        stage_unit = CharField(max_length=20, default="")
        extensions = IntegerField(default=0)
        extension_requested = BooleanField(default=False)
        suspension_requested_until = DateTimeField(null=True)
        suspended_from = DateTimeField(null=True)
        suspended_until = DateTimeField(null=True)
        suspensions = IntegerField(default=0)
        reworks = IntegerField(default=0)
        returns = IntegerField(default=0)
        resume_status = CharField(max_length=20, default="")

        class Meta:
            database = db
            table_name = "work_order"
            indexes = ((("status", "stage_due_at"), False), (("department", "status", "stage_due_at"), False))

    db.create_tables([WorkOrder])

    class Notification(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        at = DateTimeField(index=True)
        order = ForeignKeyField(WorkOrder, null=True, on_delete="CASCADE")
        kind = CharField(max_length=20)
        text = TextField()
        read = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "notification"
            indexes = ((("user", "order", "kind"), True),)

    db.create_tables([Notification])

    class NumberCounter(Model):
        year = IntegerField(primary_key=True)
        last = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "number_counter"

    db.create_tables([NumberCounter])

    class WorkOrderEvent(Model):
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        at = DateTimeField(index=True)
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        actor_name = CharField(max_length=60, default="")
        action = CharField(index=True, max_length=24)
        from_status = CharField(max_length=20, default="")
        to_status = CharField(max_length=20, default="")
        department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        reason = TextField(default="")
        data = TextField(null=True)

        class Meta:
            database = db
            table_name = "work_order_event"

    db.create_tables([WorkOrderEvent])

    class WorkOrderPhoto(Model):
        order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        photo = ForeignKeyField(Photo, on_delete="RESTRICT")
        stage = CharField(max_length=12)
        event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
        added_at = DateTimeField()

        class Meta:
            database = db
            table_name = "work_order_photo"
            indexes = ((("order", "photo", "stage"), True),)

    db.create_tables([WorkOrderPhoto])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("work_order_photo"))
    migrator.migrate(migrator.drop_table("work_order_event"))
    migrator.migrate(migrator.drop_table("number_counter"))
    migrator.migrate(migrator.drop_table("notification"))
    migrator.migrate(migrator.drop_table("work_order"))
    migrator.migrate(migrator.drop_table("grid_assignment"))
