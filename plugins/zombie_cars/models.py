"""The campaign's own tables: vehicles and their owners, photos, survey rounds, owner contacts, notices,
early-tow requests and joint clearance actions for advertising vehicles."""

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core.api import Area, BaseModel, Department, User, WorkOrder, clock

# A vehicle's stage in the campaign, in the order it usually moves through them.
STAGES = {
    "surveyed": _l("Surveyed"),
    "notified": _l("Notice posted"),
    "tow_ordered": _l("Tow ordered"),
    "moved": _l("Moved by the owner"),
    "towed": _l("Towed"),
    "disposed": _l("Disposed of"),
    "not_abandoned": _l("Not abandoned"),
}
OPEN_STAGES = ("surveyed", "notified", "tow_ordered")
# Outcomes staff record by hand (towed follows the tow order's closing).
OUTCOMES = {
    "moved": _l("The owner moved it"),
    "disposed": _l("Disposed of"),
    "not_abandoned": _l("Not abandoned after all"),
}
# What a call to the owner came to. "Reached" is agreed or refused; agreed carries the promised date.
CONTACT_RESULTS = {
    "agreed": _l("Reached: agreed to move it by a date"),
    "refused": _l("Reached: refused"),
    "unreachable": _l("Unreachable"),
    "wrong_number": _l("Wrong number"),
}
REACHED = ("agreed", "refused")
EARLY_TOW_STATUSES = {
    "pending": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
}
# One result per vehicle of a joint clearance action.
JOINT_RESULTS = {
    "cleared": _l("Cleared by the team"),
    "owner_moved": _l("The owner moved it"),
    "not_found": _l("Not found"),
}
STAGE_COLOURS = {
    "surveyed": "#9e9e9e",
    "notified": "#f9a825",
    "tow_ordered": "#c62828",
    "moved": "#2e7d32",
    "towed": "#1565c0",
    "disposed": "#6a1b9a",
    "not_abandoned": "#78909c",
}
VEHICLE_TYPES = {
    "car": _l("Car"),
    "van": _l("Van"),
    "truck": _l("Truck"),
    "bus": _l("Bus"),
    "tricycle": _l("Tricycle"),
    "motorcycle": _l("Motorcycle"),
    "other": _l("Other"),
}


class SurveyRound(BaseModel):
    """A survey round (摸底): a sweep of an area on given days, counting what was found."""

    name = CharField(max_length=100)
    started_on = DateField()
    ended_on = DateField(null=True)
    area_note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)
    closed_at = DateTimeField(null=True)  # notices go out only for the vehicles of a closed round (audited)

    class Meta:
        table_name = "zombie_cars_round"

    @property
    def is_open(self):
        return self.closed_at is None


class Vehicle(BaseModel):
    plate = CharField(max_length=16, null=True, unique=True)  # normalised; NULL when it has none
    plate_kind = CharField(max_length=20, default="")
    vehicle_type = CharField(max_length=20, default="car")
    colour = CharField(max_length=20, default="")
    brand = CharField(max_length=40, default="")
    address = CharField(max_length=200, default="")
    latitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    grid = ForeignKeyField(Area, null=True, on_delete="SET NULL", index=True)
    dusty = BooleanField(default=False)
    flat_tyres = BooleanField(default=False)
    days_unmoved = IntegerField(null=True)
    advertising = BooleanField(default=False)  # a vehicle parked to carry advertising
    notes = TextField(default="")
    survey_round = ForeignKeyField(SurveyRound, null=True, on_delete="SET NULL", backref="vehicles")
    stage = CharField(max_length=16, default="surveyed", index=True)
    reported_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reported_at = DateTimeField(default=clock.now)
    outcome_at = DateTimeField(null=True)
    outcome_note = TextField(default="")
    version = IntegerField(default=1)  # the edit form's optimistic lock (editing.save)
    # The owner, shown only to holders of zombie_cars.owner (owners.py masks it for everyone else).
    owner_name = CharField(max_length=60, default="")
    owner_phone = CharField(max_length=20, default="")
    owner_id_number = CharField(max_length=18, default="")

    class Meta:
        table_name = "zombie_cars_vehicle"

    @property
    def stage_label(self):
        return STAGES.get(self.stage, self.stage)

    @property
    def type_label(self):
        return VEHICLE_TYPES.get(self.vehicle_type, self.vehicle_type)

    @property
    def plate_text(self):
        return self.plate or _l("No plate")

    def __str__(self):
        return str(self.plate_text)


VEHICLE = "zombie_cars.vehicle"  # the attachment kind of a vehicle's photos (core.api.attach)


class OwnerContact(BaseModel):
    vehicle = ForeignKeyField(Vehicle, backref="contacts", on_delete="CASCADE")
    contacted_on = DateField()
    caller = CharField(max_length=60)  # who called the owner
    result = CharField(max_length=16, default="", index=True)  # a key of CONTACT_RESULTS; "" before 0003
    outcome = TextField(default="")  # the free note
    promised_on = DateField(null=True)  # the date the owner promised to move it by
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "zombie_cars_contact"

    @property
    def result_label(self):
        return CONTACT_RESULTS.get(self.result, self.result)


class Notice(BaseModel):
    """A notice (告知书) posted on the vehicle. When its deadline passes with the vehicle still there,
    the daily job opens a tow order and links it here."""

    vehicle = ForeignKeyField(Vehicle, backref="notices", on_delete="CASCADE")
    number = CharField(max_length=20, unique=True)
    issued_on = DateField()
    deadline = DateField(index=True)
    days = IntegerField()
    legal_basis = TextField()
    office = CharField(max_length=100)
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    status = CharField(max_length=12, default="open", index=True)  # open, expired, cancelled
    tow_order = ForeignKeyField(WorkOrder, null=True, on_delete="SET NULL", unique=True)

    class Meta:
        table_name = "zombie_cars_notice"


class EarlyTowRequest(BaseModel):
    """A handler asks to tow a vehicle whose owner refused before its notice runs out; a holder of
    zombie_cars.approve_early_tow (the shift leader) decides, and approval opens the tow order at once."""

    vehicle = ForeignKeyField(Vehicle, backref="early_tows", on_delete="CASCADE")
    notice = ForeignKeyField(Notice, on_delete="CASCADE")
    reason = TextField()
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    requested_at = DateTimeField(default=clock.now)
    status = CharField(max_length=12, default="pending", index=True)  # pending, approved, rejected
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")

    class Meta:
        table_name = "zombie_cars_early_tow"


class JointAction(BaseModel):
    """A joint clearance action (联合整治) for advertising vehicles: one day, one team, its own legal basis."""

    name = CharField(max_length=100)
    action_on = DateField()
    team = CharField(max_length=200)  # who went, as text (the departments are listed apart)
    legal_basis = TextField()
    note = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "zombie_cars_joint_action"


class JointDepartment(BaseModel):
    action = ForeignKeyField(JointAction, backref="department_links", on_delete="CASCADE")
    department = ForeignKeyField(Department, on_delete="CASCADE")

    class Meta:
        table_name = "zombie_cars_joint_department"
        indexes = ((("action", "department"), True),)


class JointVehicle(BaseModel):
    action = ForeignKeyField(JointAction, backref="vehicle_links", on_delete="CASCADE")
    vehicle = ForeignKeyField(Vehicle, backref="joint_links", on_delete="CASCADE")
    result = CharField(max_length=16, default="")  # a key of JOINT_RESULTS; "" until recorded
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    recorded_at = DateTimeField(null=True)

    class Meta:
        table_name = "zombie_cars_joint_vehicle"
        indexes = ((("action", "vehicle"), True),)

    @property
    def result_label(self):
        return JOINT_RESULTS.get(self.result, "")
