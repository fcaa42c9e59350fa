"""The owner and the calls to them: recording the owner (audited masked), every call with its result
(reached and agreed to move it by a date, reached and refused, unreachable, wrong number, plus a free
note), what the latest call means for towing (a promised date, a refusal), and the campaign's contact
figures in total and by district."""

from flask_babel import gettext as _
from peewee import fn

from core.api import Area, audit, clock, db

from . import owners
from .models import CONTACT_RESULTS, REACHED, OwnerContact, Vehicle
from .service import CampaignError

FIGURES = ("surveyed", "contacted", "reached", "moved", "towed")


def set_owner(vehicle: Vehicle, user, *, name: str, phone: str, id_number: str) -> Vehicle:
    """Record the owner. The phone and ID number are checked (owners.OwnerError otherwise); the audit
    log keeps the masked values only."""
    phone = owners.validate_phone(phone)
    id_number = owners.validate_id_number(id_number)
    name = (name or "").strip()[:60]
    before = owners.masked(vehicle)
    with db.atomic():
        Vehicle.update(owner_name=name, owner_phone=phone, owner_id_number=id_number).where(
            Vehicle.id == vehicle.id
        ).execute()
        vehicle.owner_name, vehicle.owner_phone, vehicle.owner_id_number = name, phone, id_number
        audit.record(
            "zombie_cars.owner", "zombie_car", vehicle.id, str(vehicle.plate_text), before=before,
            after=owners.masked(vehicle),
        )  # fmt: skip
    return vehicle


def add_contact(vehicle: Vehicle, user, *, contacted_on, caller, result, note="", promised_on=None) -> OwnerContact:
    """Record a call. "agreed" needs the date the owner promised to move it by (not before the call);
    the other results carry none."""
    if result not in CONTACT_RESULTS:
        raise CampaignError(_("Choose what the call came to."))
    if result == "agreed":
        if promised_on is None:
            raise CampaignError(_("Give the date the owner agreed to move the vehicle by."))
        if promised_on < contacted_on:
            raise CampaignError(_("The promised date cannot be before the call."))
    else:
        promised_on = None
    with db.atomic():
        contact = OwnerContact.create(
            vehicle=vehicle,
            contacted_on=contacted_on,
            caller=caller,
            result=result,
            outcome=note,
            promised_on=promised_on,
            recorded_by=user,
            recorded_at=clock.now(),
        )
        audit.record(
            "zombie_cars.contact",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {caller} {contacted_on}",
            after={
                "result": result,
                "note": note,
                "promised_on": promised_on.isoformat() if promised_on else None,
            },
        )
    return contact


def latest_reached(vehicle_id: int) -> OwnerContact | None:
    """The latest call that reached the owner: what they said last is what stands."""
    return (
        OwnerContact.select()
        .where((OwnerContact.vehicle == vehicle_id) & OwnerContact.result.in_(REACHED))
        .order_by(OwnerContact.contacted_on.desc(), OwnerContact.id.desc())
        .first()
    )


def promised_on(vehicle_id: int):
    """The date the owner last agreed to move the vehicle by, unless they refused since."""
    contact = latest_reached(vehicle_id)
    return contact.promised_on if contact is not None and contact.result == "agreed" else None


def refused(vehicle_id: int) -> bool:
    contact = latest_reached(vehicle_id)
    return contact is not None and contact.result == "refused"


# --- figures -----------------------------------------------------------------------------------------


def districts() -> dict[int, Area]:
    """Every district of the city by id."""
    today = clock.now().date()
    current = (Area.level == "district") & (Area.valid_to.is_null() | (Area.valid_to >= today))
    return {area.id: area for area in Area.select().where(current).order_by(Area.code)}


def district_of_grid() -> dict[int, int]:
    """Area id → the id of the district above it (a district maps to itself), walking up the tree once."""
    parents = {}
    levels = {}
    for area_id, parent_id, level in Area.select(Area.id, Area.parent, Area.level).tuples():
        parents[area_id], levels[area_id] = parent_id, level
    found = {}
    for area_id in parents:
        step, seen = area_id, 0
        while step is not None and levels.get(step) != "district" and seen < 8:
            step, seen = parents.get(step), seen + 1
        if step is not None and levels.get(step) == "district":
            found[area_id] = step
    return found


def figures(query) -> dict:
    """Surveyed, contacted, reached, moved voluntarily and towed over a vehicle query, in total and by
    district (the district of the vehicle's grid; vehicles with no grid under "no district")."""
    ids = query.select(Vehicle.id)
    rows = list(Vehicle.select(Vehicle.id, Vehicle.grid, Vehicle.stage).where(Vehicle.id.in_(ids)).tuples())
    contacted = set(
        OwnerContact.select(fn.DISTINCT(OwnerContact.vehicle)).where(OwnerContact.vehicle.in_(ids)).tuples()
    )
    reached = set(
        OwnerContact.select(fn.DISTINCT(OwnerContact.vehicle))
        .where(OwnerContact.vehicle.in_(ids) & OwnerContact.result.in_(REACHED))
        .tuples()
    )
    contacted, reached = {row[0] for row in contacted}, {row[0] for row in reached}
    up = district_of_grid()
    known = districts()
    total = dict.fromkeys(FIGURES, 0)
    by_district = {district_id: dict.fromkeys(FIGURES, 0) for district_id in known}
    for vehicle_id, grid_id, stage in rows:
        district_id = up.get(grid_id)
        bucket = by_district.setdefault(district_id, dict.fromkeys(FIGURES, 0))
        for target in (total, bucket):
            target["surveyed"] += 1
            target["contacted"] += vehicle_id in contacted
            target["reached"] += vehicle_id in reached
            target["moved"] += stage == "moved"
            target["towed"] += stage == "towed"
    table = [(known[d].name, by_district[d]) for d in known]
    if by_district.get(None, {}).get("surveyed"):
        table.append((_("No district"), by_district[None]))
    return {"total": total, "districts": table}
