"""Issue 11's campaign as the bureau ran it: the vehicle's owner (name, phone, ID number), a structured
result on every owner contact, survey rounds closed before notices go out, early-tow requests for owners
who refused, and joint clearance actions for advertising vehicles (their departments and one result per
vehicle).

Rounds that had ended before this migration are taken as closed on their last day, so the notices of a
running installation keep going out. Written by hand; frozen: never edit an applied migration."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class Vehicle(Model):
        class Meta:
            database = db
            table_name = "zombie_cars_vehicle"

    class Notice(Model):
        class Meta:
            database = db
            table_name = "zombie_cars_notice"

    migrator.migrate(
        migrator.add_column("zombie_cars_vehicle", "owner_name", CharField(max_length=60, default="")),
        migrator.add_column("zombie_cars_vehicle", "owner_phone", CharField(max_length=20, default="")),
        migrator.add_column("zombie_cars_vehicle", "owner_id_number", CharField(max_length=18, default="")),
        migrator.add_column("zombie_cars_contact", "result", CharField(max_length=16, default="")),
        migrator.add_index("zombie_cars_contact", ("result",)),
        migrator.add_column("zombie_cars_round", "closed_at", DateTimeField(null=True)),
    )
    db.execute_sql(
        "UPDATE zombie_cars_round SET closed_at = ended_on WHERE ended_on IS NOT NULL AND ended_on <= CURRENT_DATE"
    )

    class EarlyTowRequest(Model):
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        notice = ForeignKeyField(Notice, on_delete="CASCADE")
        reason = TextField()
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        requested_at = DateTimeField()
        status = CharField(max_length=12, default="pending", index=True)
        decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        decided_at = DateTimeField(null=True)
        decision_note = TextField(default="")

        class Meta:
            database = db
            table_name = "zombie_cars_early_tow"

    class JointAction(Model):
        name = CharField(max_length=100)
        action_on = DateField()
        team = CharField(max_length=200)
        legal_basis = TextField()
        note = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "zombie_cars_joint_action"

    class JointDepartment(Model):
        action = ForeignKeyField(JointAction, on_delete="CASCADE")
        department = ForeignKeyField(Department, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "zombie_cars_joint_department"
            indexes = ((("action", "department"), True),)

    class JointVehicle(Model):
        action = ForeignKeyField(JointAction, on_delete="CASCADE")
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        result = CharField(max_length=16, default="")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        recorded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "zombie_cars_joint_vehicle"
            indexes = ((("action", "vehicle"), True),)

    db.create_tables([EarlyTowRequest, JointAction, JointDepartment, JointVehicle])


def down(migrator, db):
    for table in ("zombie_cars_joint_vehicle", "zombie_cars_joint_department", "zombie_cars_joint_action"):
        migrator.migrate(migrator.drop_table(table))
    migrator.migrate(migrator.drop_table("zombie_cars_early_tow"))
    migrator.migrate(
        migrator.drop_column("zombie_cars_round", "closed_at"),
        migrator.drop_index("zombie_cars_contact", "zombie_cars_contact_result"),
        migrator.drop_column("zombie_cars_contact", "result"),
        migrator.drop_column("zombie_cars_vehicle", "owner_id_number"),
        migrator.drop_column("zombie_cars_vehicle", "owner_phone"),
        migrator.drop_column("zombie_cars_vehicle", "owner_name"),
    )
