"""The vehicles' photos move to the core's attachments (core migration 0030's `attachment` table, kind
"zombie_cars.vehicle", no stage; who added them was not recorded): `zombie_cars_photo` goes.

Written by hand; frozen: never edit an applied migration."""

from peewee import DateTimeField, ForeignKeyField, Model

COPY = (
    "INSERT INTO attachment (subject_kind, subject_id, photo_id, stage, event_id, added_by_id, added_at) "
    "SELECT 'zombie_cars.vehicle', vehicle_id, photo_id, NULL, NULL, NULL, added_at FROM zombie_cars_photo ORDER BY id"
)
COPY_BACK = (
    "INSERT INTO zombie_cars_photo (vehicle_id, photo_id, added_at) SELECT subject_id, photo_id, MIN(added_at) "
    "FROM attachment WHERE subject_kind = 'zombie_cars.vehicle' GROUP BY subject_id, photo_id"
)


def up(migrator, db):
    db.execute_sql(COPY)
    db.execute_sql("DROP TABLE zombie_cars_photo")


def down(migrator, db):
    class Vehicle(Model):
        class Meta:
            database = db
            table_name = "zombie_cars_vehicle"

    class Photo(Model):
        class Meta:
            database = db
            table_name = "photo"

    class VehiclePhoto(Model):
        vehicle = ForeignKeyField(Vehicle, on_delete="CASCADE")
        photo = ForeignKeyField(Photo, on_delete="RESTRICT")
        added_at = DateTimeField()

        class Meta:
            database = db
            table_name = "zombie_cars_photo"
            indexes = ((("vehicle", "photo"), True),)

    db.create_tables([VehiclePhoto])
    db.execute_sql(COPY_BACK)
    db.execute_sql("DELETE FROM attachment WHERE subject_kind = 'zombie_cars.vehicle'")
