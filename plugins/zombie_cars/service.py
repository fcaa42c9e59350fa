"""What the campaign does, independent of pages: register vehicles (one record per plate), post
notices, log owner contacts, record outcomes, open tow orders when a notice runs out, and follow
those orders through the case workflow.

Tow orders are ordinary cases driven through `core.workorders.workflow` by the system actor
(`actor=None`: the workflow skips permission and scope checks for it and records "system"), exactly
as the core's own job `workorders.resume` does."""

import logging
from datetime import date, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from core import audit, clock
from core.catalogue import Category, FilingStandard
from core.db import db
from core.org import Department
from core.scheduler import N_, Summary
from core.workorders import workflow
from core.workorders.models import WorkOrder

from .models import OPEN_STAGES, OUTCOMES, Notice, OwnerContact, Vehicle, VehiclePhoto

log = logging.getLogger(__name__)

CATEGORY_CODE = "9001"
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
        grids = workflow.grid_ids(user)
        if grids:
            condition |= Vehicle.grid.in_(list(grids))
    if user.can("workorder.view_department") and user.department_id:
        held = Notice.select(Notice.vehicle).join(WorkOrder).where(WorkOrder.department == user.department_id)
        condition |= Vehicle.id.in_(held)
    return query.where(condition)


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
    from core import grids

    if fields.get("longitude") is not None and fields.get("latitude") is not None and not fields.get("grid"):
        found = grids.locate(fields["longitude"], fields["latitude"])
        fields["grid"] = found.id if found is not None else None
    try:
        with db.atomic():
            vehicle = Vehicle.create(plate=plate or None, reported_by=user, reported_at=clock.now(), **fields)
            for photo in photos:
                VehiclePhoto.insert(vehicle=vehicle, photo=photo).on_conflict_ignore().execute()
            audit.record(
                "zombie_cars.register", "zombie_car", vehicle.id, str(vehicle.plate_text), after=snapshot(vehicle)
            )
    except IntegrityError:  # the same plate registered by someone else a moment ago
        existing = Vehicle.get_or_none(Vehicle.plate == plate) if plate else None
        if existing is None:
            raise
        return existing, False
    return vehicle, True


def update(vehicle: Vehicle, *, plate: str | None, photos=(), **fields) -> Vehicle:
    """Change a vehicle's details. A plate another record holds is refused (CampaignError, 409); moved
    coordinates find the grid again."""
    from core import grids

    before = snapshot(vehicle)
    if plate and Vehicle.select().where((Vehicle.plate == plate) & (Vehicle.id != vehicle.id)).exists():
        raise CampaignError(_("%(plate)s is already registered as another vehicle.", plate=plate), 409)
    moved = (fields.get("longitude"), fields.get("latitude")) != (vehicle.longitude, vehicle.latitude)
    for name, value in fields.items():
        setattr(vehicle, name, value)
    vehicle.plate = plate or None
    if moved:
        found = None
        if vehicle.longitude is not None and vehicle.latitude is not None:
            found = grids.locate(vehicle.longitude, vehicle.latitude)
        vehicle.grid = found.id if found is not None else vehicle.grid_id
    try:
        with db.atomic():
            vehicle.save()
            add_photos(vehicle, photos)
            audit.record(
                "zombie_cars.edit",
                "zombie_car",
                vehicle.id,
                str(vehicle.plate_text),
                before=before,
                after=snapshot(vehicle),
            )
    except IntegrityError:  # the plate was taken a moment ago
        raise CampaignError(_("%(plate)s is already registered as another vehicle.", plate=plate), 409) from None
    return vehicle


def add_photos(vehicle: Vehicle, photos):
    for photo in photos:
        VehiclePhoto.insert(vehicle=vehicle, photo=photo).on_conflict_ignore().execute()


# --- notices and contacts ----------------------------------------------------------------------------


def next_notice_number(year: int) -> str:
    prefix = f"ZC{year}-"
    last = Notice.select(fn.MAX(Notice.number)).where(Notice.number.startswith(prefix)).scalar()
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


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
    """The notice's deadline: calendar days after the notice date."""
    return issued_on + timedelta(days=config("ZOMBIE_NOTICE_DAYS") if days is None else days)


def notify(vehicle: Vehicle, user, issued_on: date | None = None) -> Notice:
    """Post a notice on a surveyed vehicle: the owner has ZOMBIE_NOTICE_DAYS calendar days."""
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
        days = int(config("ZOMBIE_NOTICE_DAYS"))
        for _attempt in range(3):
            try:
                with db.atomic():
                    notice = Notice.create(
                        vehicle=current,
                        number=next_notice_number(issued_on.year),
                        issued_on=issued_on,
                        days=days,
                        deadline=deadline_for(issued_on, days),
                        legal_basis=config("ZOMBIE_LEGAL_BASIS"),
                        office=config("ZOMBIE_ISSUING_OFFICE"),
                        issued_by=user,
                    )
                break
            except IntegrityError:  # two notices numbered at once: take the next number
                continue
        else:  # pragma: no cover - three collisions in a row
            raise CampaignError(_("Could not number the notice; please try again."), 409)
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


def add_contact(vehicle: Vehicle, user, *, contacted_on, caller, outcome, promised_on=None) -> OwnerContact:
    with db.atomic():
        contact = OwnerContact.create(
            vehicle=vehicle,
            contacted_on=contacted_on,
            caller=caller,
            outcome=outcome,
            promised_on=promised_on,
            recorded_by=user,
            recorded_at=clock.now(),
        )
        audit.record(
            "zombie_cars.contact",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {caller} {contacted_on}",
            after={"outcome": outcome, "promised_on": promised_on.isoformat() if promised_on else None},
        )
    return contact


# --- outcomes ----------------------------------------------------------------------------------------


def open_orders(vehicle: Vehicle) -> list[WorkOrder]:
    return list(
        WorkOrder.select()
        .join(Notice, on=(Notice.tow_order == WorkOrder.id))
        .where((Notice.vehicle == vehicle.id) & WorkOrder.status.in_(list(workflow.OPEN)))
    )


def set_outcome(vehicle: Vehicle, outcome: str, user, note: str = "", photo=None):
    """Record how a vehicle's case ended. The owner moving it (or it proving not abandoned, or being
    disposed of otherwise) ends its open tow orders through the workflow, with the reason."""
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
        reason = _("Zombie-car campaign: %(outcome)s", outcome=reason)
        for order in orders:
            end_order(order, reason, photo)
        audit.record(
            "zombie_cars.outcome",
            "zombie_car",
            current.id,
            str(current.plate_text),
            before={"stage": before},
            after={"stage": outcome, "note": note, "orders_ended": [o.number for o in orders]},
        )
    vehicle.stage = outcome


def end_order(order: WorkOrder, reason: str, photo=None):
    """Bring an open case to an end through the workflow as the system: void it while it is not yet
    at a department; once there, report it handled with the photo, pass the check and close it."""
    for _step in range(8):
        status = WorkOrder.get_by_id(order.id).status
        if status in workflow.FINAL:
            return
        if status == "to_verify":
            workflow.transition(order.id, "verify_false", None, None, reason=reason)
        elif status in ("reported", "filed"):
            workflow.transition(order.id, "void", None, None, reason=reason)
        elif status == "returned":
            target = order.department_id or tow_department().id
            workflow.transition(order.id, "dispatch", None, None, reason=reason, data={"department": target})
        elif status == "suspended":
            workflow.transition(order.id, "resume", None, None, reason=reason)
        elif status in ("dispatched", "handling"):
            workflow.transition(order.id, "report_handled", None, None, reason=reason, photos=[photo])
        elif status == "handled":
            workflow.transition(order.id, "check_pass", None, None, reason=reason)
        elif status == "checked":
            workflow.transition(order.id, "close", None, None, reason=reason)


# --- tow orders --------------------------------------------------------------------------------------


def tow_category() -> Category:
    category = Category.get_or_none(
        (Category.edition == current_app.config["CATALOGUE_EDITION"])
        & (Category.kind == "event")
        & (Category.code == CATEGORY_CODE)
    )
    if category is None:
        raise CampaignError(
            _("The campaign's category %(code)s is missing: run `flask db upgrade`.", code=CATEGORY_CODE)
        )
    return category


def tow_department() -> Department:
    department = Department.get_or_none(Department.code == config("ZOMBIE_TOW_DEPARTMENT"))
    if department is None:
        department = tow_category().default_department
    if department is None:
        raise CampaignError(
            _(
                "There is no department %(code)s to tow vehicles: set ZOMBIE_TOW_DEPARTMENT.",
                code=config("ZOMBIE_TOW_DEPARTMENT"),
            )
        )
    return department


def open_tow_order(notice: Notice) -> WorkOrder:
    """Create the tow case for a notice that ran out, file it and dispatch it to the parking office."""
    vehicle = notice.vehicle
    category = tow_category()
    standard = (
        FilingStandard.select()
        .where((FilingStandard.category == category) & (FilingStandard.active == True))
        .order_by(FilingStandard.seq)
        .first()
    )
    if standard is None:
        raise CampaignError(_("The campaign's category has no active filing standard."))
    department = tow_department()
    with db.atomic():
        order = workflow.create_order(
            None,
            "campaign",
            category=category,
            grid=vehicle.grid_id,
            department=department,
            address=vehicle.address,
            latitude=vehicle.latitude,
            longitude=vehicle.longitude,
            description=(
                f"僵尸车拖移：{vehicle.plate or '无牌'} {vehicle.colour}{vehicle.brand}，"
                f"告知书 {notice.number} 已于 {notice.deadline.isoformat()} 到期，车辆仍未移走。"
            ),
            photos=[link.photo for link in vehicle.photo_links],
        )
        basis = f"告知书 {notice.number} 期满"
        workflow.transition(order.id, "file", None, None, reason=basis, data={"standard": standard.id})
        workflow.transition(order.id, "dispatch", None, None, reason=basis, data={"department": department.id})
        Notice.update(status="expired", tow_order=order).where(Notice.id == notice.id).execute()
        Vehicle.update(stage="tow_ordered").where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.tow_order",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": vehicle.stage},
            after={"stage": "tow_ordered", "order": order.number},
        )
    return WorkOrder.get_by_id(order.id)


def tow_overdue() -> Summary:
    """The daily job: every notice whose deadline has passed with the vehicle still there gets a tow
    order. A notice's last day is its deadline; the order is opened the day after."""
    today = clock.now().date()
    due = (
        Notice.select(Notice, Vehicle)
        .join(Vehicle)
        .where((Notice.status == "open") & (Notice.deadline < today) & (Vehicle.stage == "notified"))
        .order_by(Notice.deadline, Notice.id)
    )
    if due.exists():
        tow_category(), tow_department()  # a set-up problem fails the run loudly, not notice by notice
    made, failed = [], 0
    for notice in due:
        try:
            made.append(open_tow_order(notice).number)
        except (CampaignError, workflow.WorkflowError) as error:
            failed += 1
            log.error("no tow order for notice %s: %s", notice.number, error)
    if failed:
        return Summary(N_("Tow orders created: %(n)d (%(numbers)s); failed: %(failed)d"), n=len(made),
                       numbers=", ".join(made) or "—", failed=failed)  # fmt: skip
    if made:
        return Summary(N_("Tow orders created: %(n)d (%(numbers)s)"), n=len(made), numbers=", ".join(made))
    return Summary(N_("Tow orders created: %(n)d"), n=0)


def on_transition(order: WorkOrder, event):
    """Closing a tow order marks its vehicle towed; anything that moves it out of closed again
    reverts the vehicle to tow-ordered. (The workflow has no action leaving "closed" today; this
    follows whatever one a later version adds, by the statuses rather than an action name.)"""
    if order.source != "campaign":
        return
    notice = Notice.get_or_none(Notice.tow_order == order.id)
    if notice is None:
        return
    vehicle = notice.vehicle
    if event.to_status == "closed" and event.from_status != "closed" and vehicle.stage == "tow_ordered":
        Vehicle.update(stage="towed", outcome_at=event.at).where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.towed",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": "tow_ordered"},
            after={"stage": "towed"},
            actor=event.actor,
        )
    elif event.from_status == "closed" and event.to_status != "closed" and vehicle.stage == "towed":
        Vehicle.update(stage="tow_ordered", outcome_at=None).where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.towed_reverted",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": "towed"},
            after={"stage": "tow_ordered"},
            actor=event.actor,
        )
