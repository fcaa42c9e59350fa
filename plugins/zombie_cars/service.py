"""What the campaign does, independent of pages: register vehicles (one record per plate), post
notices, log owner contacts, record outcomes, open tow orders when a notice runs out, and follow
those orders through the case workflow.

Tow orders are ordinary cases opened and ended through `open_case` and `conclude` (core.api) by the campaign's own
system actor `CAMPAIGN`, whose declared permissions the workflow checks like anyone's: it may open, file
and dispatch a tow case and conclude it, never report it handled or check it for the department. A
collector recording "moved" records the fact on the vehicle; the campaign then concludes the tow case
as "object gone", which evaluation does not count as handled by the parking office."""

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from core.api import (
    WorkOrder,
    attach,
    attachments_of,
    audit,
    clock,
    conclude,
    db,
    due_at,
    editing,
    grid_ids,
    is_working_day,
    locate,
    numbers,
    of_origin,
    system_actor,
    visible_cases,
    with_permissions,
)
from core.api import (
    notify as send_notification,
)

from .models import OPEN_STAGES, OUTCOMES, VEHICLE, Notice, Vehicle

CATEGORY_CODE = "9001"
CAMPAIGN = system_actor(
    "zombie_cars",
    _l("Zombie-car campaign (system)"),
    {"workorder.view_all", "workorder.file", "workorder.dispatch", "workorder.conclude"},
)
# A vehicle's outcome → how its open tow case ends (a key of core.api.CASE_OUTCOMES).
CASE_OUTCOMES = {"moved": "object_gone", "disposed": "object_gone", "not_abandoned": "withdrawn"}
# Cases at or past the department need a photo of the empty spot to be reported handled.
NEEDS_PHOTO = {"returned", "dispatched", "handling", "suspended"}


class CampaignError(Exception):
    status = 422

    def __init__(self, message, status=422):
        super().__init__(str(message))
        self.message, self.status = message, status


def config(key):
    return current_app.config[key]


# --- who sees what -----------------------------------------------------------------------------------


def visible_vehicles(user, query=None):
    """Vehicles a user may see, scoped like cases: the centre sees all; collectors the vehicles in
    their grids; departments the vehicles whose tow order they hold; everyone what they reported."""
    query = query if query is not None else Vehicle.select()
    if user.can("workorder.view_all"):
        return query
    condition = Vehicle.reported_by == user.id
    if user.can("workorder.view_grid"):
        grids = grid_ids(user)
        if grids:
            condition |= Vehicle.grid.in_(list(grids))
    if user.can("workorder.view_department") and user.department_id:
        held = Notice.select(Notice.vehicle).join(WorkOrder).where(WorkOrder.department == user.department_id)
        condition |= Vehicle.id.in_(held)
    return query.where(condition)


def visible_orders(user, order_ids) -> dict[int, str]:
    """The tow cases among `order_ids` the user may open: id → number."""
    if not order_ids:
        return {}
    query = WorkOrder.select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(sorted(set(order_ids))))
    return dict(visible_cases(user, query).tuples())


def counts(query) -> dict:
    """The campaign's figures over a vehicle query."""
    ids = query.select(Vehicle.id)
    by_stage = dict(
        Vehicle.select(Vehicle.stage, fn.COUNT(Vehicle.id)).where(Vehicle.id.in_(ids)).group_by(Vehicle.stage).tuples()
    )
    notified = Notice.select(fn.COUNT(Notice.vehicle.distinct())).where(Notice.vehicle.in_(ids)).scalar() or 0
    cleared = (
        Vehicle.select()
        .where(Vehicle.id.in_(ids) & (Vehicle.advertising == True) & Vehicle.stage.in_(["moved", "towed", "disposed"]))
        .count()
    )
    advertising = Vehicle.select().where(Vehicle.id.in_(ids) & (Vehicle.advertising == True)).count()
    return {
        "surveyed": sum(by_stage.values()),
        "notified": notified,
        "tow_ordered": by_stage.get("tow_ordered", 0),
        "moved": by_stage.get("moved", 0),
        "towed": by_stage.get("towed", 0),
        "disposed": by_stage.get("disposed", 0),
        "not_abandoned": by_stage.get("not_abandoned", 0),
        "advertising": advertising,
        "advertising_cleared": cleared,
        "by_stage": by_stage,
    }


# --- registering -------------------------------------------------------------------------------------


def snapshot(vehicle: Vehicle) -> dict:
    return {
        "plate": vehicle.plate,
        "type": vehicle.vehicle_type,
        "colour": vehicle.colour,
        "brand": vehicle.brand,
        "address": vehicle.address,
        "grid": vehicle.grid.code if vehicle.grid_id else None,
        "longitude": str(vehicle.longitude) if vehicle.longitude is not None else None,
        "latitude": str(vehicle.latitude) if vehicle.latitude is not None else None,
        "dusty": vehicle.dusty,
        "flat_tyres": vehicle.flat_tyres,
        "days_unmoved": vehicle.days_unmoved,
        "advertising": vehicle.advertising,
        "survey_round": vehicle.survey_round_id,
        "notes": vehicle.notes,
        "stage": vehicle.stage,
    }


def register(user, *, plate: str | None, photos=(), **fields) -> tuple[Vehicle, bool]:
    """Register a vehicle; a plate already registered returns the existing record instead
    (created=False). `plate` is normalised already, or None for a vehicle with no plate."""
    if plate:
        existing = Vehicle.get_or_none(Vehicle.plate == plate)
        if existing is not None:
            return existing, False
    if fields.get("longitude") is not None and fields.get("latitude") is not None and not fields.get("grid"):
        found = locate(fields["longitude"], fields["latitude"])
        fields["grid"] = found.id if found is not None else None
    try:
        with db.atomic():
            vehicle = Vehicle.create(plate=plate or None, reported_by=user, reported_at=clock.now(), **fields)
            for photo in photos:
                attach(VEHICLE, vehicle.id, photo, by=user)
            audit.record(
                "zombie_cars.register", "zombie_car", vehicle.id, str(vehicle.plate_text), after=snapshot(vehicle)
            )
    except IntegrityError:  # the same plate registered by someone else a moment ago
        existing = Vehicle.get_or_none(Vehicle.plate == plate) if plate else None
        if existing is None:
            raise
        return existing, False
    return vehicle, True


def update(vehicle: Vehicle, version: int, *, plate: str | None, photos=(), **fields) -> Vehicle:
    """Change a vehicle's details, if it is still at the `version` the form showed (editing.Stale
    otherwise). A plate another record holds is refused (CampaignError, 409); moved coordinates find
    the grid again. The stage and outcome are the campaign's, never written here."""
    before = snapshot(vehicle)
    if plate and Vehicle.select().where((Vehicle.plate == plate) & (Vehicle.id != vehicle.id)).exists():
        raise CampaignError(_("%(plate)s is already registered as another vehicle.", plate=plate), 409)
    fields["plate"] = plate or None
    if (fields.get("longitude"), fields.get("latitude")) != (vehicle.longitude, vehicle.latitude):
        found = None
        if fields.get("longitude") is not None and fields.get("latitude") is not None:
            found = locate(fields["longitude"], fields["latitude"])
        fields["grid"] = found.id if found is not None else vehicle.grid_id
    try:
        with db.atomic():
            editing.save(vehicle, version, fields)
            add_photos(vehicle, photos)
            audit.record(
                "zombie_cars.edit",
                "zombie_car",
                vehicle.id,
                str(vehicle.plate_text),
                before=before,
                after=snapshot(Vehicle.get_by_id(vehicle.id)),
            )
    except IntegrityError:  # the plate was taken a moment ago
        raise CampaignError(_("%(plate)s is already registered as another vehicle.", plate=plate), 409) from None
    return vehicle


def centre_staff() -> list:
    """Who merges registrations: active users who see every case and manage the campaign."""
    return with_permissions("workorder.view_all", "zombie_cars.manage")


def pass_to_centre(existing: Vehicle, user, submitted: dict, photos, link: str):
    """A plate registered again by someone who may not see its record: nothing is lost (the photos join
    the record, the details are in the audit log) and the centre is told to merge it. The one who
    registered it learns nothing of the other record."""
    details = {key: str(value) if value is not None else None for key, value in submitted.items()}
    with db.atomic():
        add_photos(existing, photos)
        audit.record(
            "zombie_cars.duplicate",
            "zombie_car",
            existing.id,
            f"{existing.plate_text}: {user.username}",
            after={**details, "photos": [photo.id for photo in photos], "registered_by": user.username},
            actor=user,
        )
        send_notification(
            existing,
            centre_staff(),
            "zombie-merge",
            lambda _user: _(
                "%(who)s registered %(plate)s again at %(address)s, outside the areas they see: merge it "
                "into its record %(link)s.",
                who=user.name,
                plate=existing.plate_text,
                address=submitted.get("address") or "—",
                link=link,
            ),
        )


def add_photos(vehicle: Vehicle, photos, by=None):
    for photo in photos:
        attach(VEHICLE, vehicle.id, photo, by=by)


def vehicle_photos(vehicle) -> list:
    """The vehicle's photo attachments, oldest first."""
    return attachments_of(VEHICLE, vehicle.id)


def may_view_photos(user, vehicle_id) -> bool:
    """A vehicle's photos: for whoever may open the vehicle's page (zombie_cars.view, in scope)."""
    if not user.can("zombie_cars.view"):
        return False
    return visible_vehicles(user, Vehicle.select().where(Vehicle.id == vehicle_id)).exists()


# --- notices -----------------------------------------------------------------------------------------


NOTICE_SERIES = "zombie_cars.notice"


def next_notice_number(year: int) -> str:
    """ZC2026-0001, ZC2026-0002, …: the plugin's series of the core's numbers (unique, no gaps)."""
    return f"ZC{year}-{numbers.next_in(NOTICE_SERIES, year):04d}"


def document_number(notice: Notice) -> str:
    """The number as an official document carries it, 〔year〕 and 第…号 (ZC2026-0001 →
    城管移车告字〔2026〕第0001号); a number of another shape is printed as it is."""
    year, _dash, seq = notice.number.removeprefix("ZC").partition("-")
    if not (year.isdigit() and seq.isdigit()):
        return notice.number
    return _("%(word)s〔%(year)s〕No. %(seq)s", word=config("ZOMBIE_NOTICE_WORD"), year=year, seq=seq)


def document_date(day: date) -> str:
    """A date as a document writes it in the reader's language: 2026年11月9日, November 9, 2026."""
    return format_date(day, "long")


def deadline_for(issued_on: date, days: int | None = None) -> date:
    """The notice's last day: `days` calendar days after the notice date (the day of the notice is not
    counted), counted on the working-time calendar's clock (due_at, unit "day"). A last day that
    is a rest day or public holiday moves to the first working day after it: 民法典 Art 203 (and 行政诉讼法
    Art 83, 民事诉讼法 Art 85 alike): "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"."""
    days = int(config("ZOMBIE_NOTICE_DAYS") if days is None else days)
    start = datetime.combine(issued_on, time())
    last = due_at(start, days, "day").date()
    for _step in range(60):  # the longest run of days off in a year is far shorter
        if is_working_day(last):
            break
        last += timedelta(days=1)
    return last


def legal_basis(vehicle: Vehicle) -> str:
    """An advertising vehicle's notice rests on the outdoor-advertising rules, any other on the parking ones."""
    return config("ZOMBIE_ADVERTISING_LEGAL_BASIS" if vehicle.advertising else "ZOMBIE_LEGAL_BASIS")


def notify(vehicle: Vehicle, user, issued_on: date | None = None) -> Notice:
    """Post a notice on a surveyed vehicle: the owner has ZOMBIE_NOTICE_DAYS calendar days (to the next
    working day when the last one is a day off). A vehicle of a survey round still open waits for the
    round to close."""
    issued_on = issued_on or clock.now().date()
    with db.atomic():
        current = Vehicle.get_by_id(vehicle.id)
        if current.stage != "surveyed":
            raise CampaignError(
                _(
                    "A notice is posted only on a surveyed vehicle; this one is now: %(stage)s.",
                    stage=current.stage_label,
                ),
                409,
            )
        if current.survey_round_id and current.survey_round.is_open:
            raise CampaignError(
                _(
                    "The survey round %(name)s is still open: close it on the survey rounds page before notices "
                    "go out for its vehicles.",
                    name=current.survey_round.name,
                ),
                409,
            )
        days = int(config("ZOMBIE_NOTICE_DAYS"))
        notice = Notice.create(
            vehicle=current,
            number=next_notice_number(issued_on.year),
            issued_on=issued_on,
            days=days,
            deadline=deadline_for(issued_on, days),
            legal_basis=legal_basis(current),
            office=config("ZOMBIE_ISSUING_OFFICE"),
            issued_by=user,
        )
        Vehicle.update(stage="notified").where(Vehicle.id == current.id).execute()
        audit.record(
            "zombie_cars.notify",
            "zombie_car",
            current.id,
            f"{current.plate_text} {notice.number}",
            before={"stage": current.stage},
            after={"stage": "notified", "notice": notice.number, "deadline": notice.deadline.isoformat()},
        )
    vehicle.stage = "notified"
    return notice


# --- outcomes ----------------------------------------------------------------------------------------


def origin(vehicle) -> tuple:
    return ("zombie_cars", "vehicle", vehicle.id)


def open_orders(vehicle: Vehicle) -> list[WorkOrder]:
    return list(of_origin(*origin(vehicle), open_only=True))


def set_outcome(vehicle: Vehicle, outcome: str, user, note: str = "", photo=None):
    """Record how a vehicle's case ended (as `user`, on the vehicle). Its open tow cases are then
    concluded by the campaign (CAMPAIGN): "object gone" when it was moved or disposed of, "withdrawn"
    when it proved not abandoned; the reason names who recorded it."""
    if outcome not in OUTCOMES:
        raise CampaignError(_("Choose an outcome."))
    with db.atomic():
        current = Vehicle.get_by_id(vehicle.id)
        allowed = current.stage in OPEN_STAGES or (outcome == "disposed" and current.stage == "towed")
        if not allowed:
            raise CampaignError(
                _("This vehicle's case has ended already: %(stage)s.", stage=current.stage_label), status=409
            )
        orders = open_orders(current)
        if photo is None and any(order.status in NEEDS_PHOTO for order in orders):
            raise CampaignError(
                _(
                    "The tow order is already at the department: add a photo showing the place empty, "
                    "so that the order can be closed with it."
                )
            )
        before = current.stage
        Vehicle.update(stage=outcome, outcome_at=clock.now(), outcome_note=note).where(
            Vehicle.id == current.id
        ).execute()
        Notice.update(status="cancelled").where((Notice.vehicle == current.id) & (Notice.status == "open")).execute()
        reason = f"{OUTCOMES[outcome]}" + (f"：{note}" if note else "")
        reason = _("Zombie-car campaign: %(outcome)s (recorded by %(name)s)", outcome=reason, name=user.name)
        for order in orders:
            conclude(
                order,
                CASE_OUTCOMES[outcome],
                actor=CAMPAIGN,
                reason=reason,
                photos=[photo] if photo is not None else (),
                data={"recorded_by": user.username},
            )
        audit.record(
            "zombie_cars.outcome",
            "zombie_car",
            current.id,
            str(current.plate_text),
            before={"stage": before},
            after={"stage": outcome, "note": note, "orders_ended": [o.number for o in orders]},
        )
    vehicle.stage = outcome
