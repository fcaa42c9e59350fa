"""The zombie-car campaign's tables: survey rounds, vehicles, notices, owner contacts, photos.

Generated from plugins.zombie_cars.models by pwmigrate, then frozen: never edit an applied migration."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    class SurveyRound(Model):
        name = CharField(max_length=100)
        started_on = DateField()
        ended_on = DateField(null=True)
        area_note = CharField(max_length=200, default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "zombie_cars_round"

    db.create_tables([SurveyRound])

    class Vehicle(Model):
        plate = CharField(unique=True, null=True, max_length=16)
        plate_kind = CharField(max_length=20, default="")
        vehicle_type = CharField(max_length=20, default="car")
        colour = CharField(max_length=20, default="")
        brand = CharField(max_length=40, default="")
        address = CharField(max_length=200, default="")
        latitude = DecimalField(null=True, max_digits=9, decimal_places=6)
        longitude = DecimalField(null=True, max_digits=9, decimal_places=6)
        grid = ForeignKeyField(Area, null=True, on_delete="SET NULL")
        dusty = BooleanField(default=False)
        flat_tyres = BooleanField(default=False)
        days_unmoved = IntegerField(null=True)
        advertising = BooleanField(default=False)
        notes = TextField(default="")
        survey_round = ForeignKeyField(SurveyRound, null=True, on_delete="SET NULL")
        stage = CharField(index=True, max_length=16, default="surveyed")
        reported_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        reported_at = DateTimeField()
        outcome_at = DateTimeField(null=True)
        outcome_note = TextField(default="")

        class Meta:
            database = db
            table_name = "zombie_cars_vehicle"

    db.create_tables([Vehicle])

    class Notice(Model):
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        number = CharField(unique=True, max_length=20)
        issued_on = DateField()
        deadline = DateField(index=True)
        days = IntegerField()
        legal_basis = TextField()
        office = CharField(max_length=100)
        issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        status = CharField(index=True, max_length=12, default="open")
        tow_order = ForeignKeyField(WorkOrder, unique=True, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "zombie_cars_notice"

    db.create_tables([Notice])

    class OwnerContact(Model):
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        contacted_on = DateField()
        caller = CharField(max_length=60)
        outcome = TextField()
        promised_on = DateField(null=True)
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        recorded_at = DateTimeField()

        class Meta:
            database = db
            table_name = "zombie_cars_contact"

    db.create_tables([OwnerContact])

    class VehiclePhoto(Model):
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        photo = ForeignKeyField(Photo, on_delete="RESTRICT")
        added_at = DateTimeField()

        class Meta:
            database = db
            table_name = "zombie_cars_photo"
            indexes = ((("vehicle", "photo"), True),)

    db.create_tables([VehiclePhoto])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("zombie_cars_photo"))
    migrator.migrate(migrator.drop_table("zombie_cars_contact"))
    migrator.migrate(migrator.drop_table("zombie_cars_notice"))
    migrator.migrate(migrator.drop_table("zombie_cars_vehicle"))
    migrator.migrate(migrator.drop_table("zombie_cars_round"))
