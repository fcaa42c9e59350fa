"""Hotline intake as operators work (issue 11): the open cases a new call may be about (same category,
near or at the same address, recent), a further caller merged into one of them, and the call-back once
a case is closed. Both changes are workflow actions (merge_caller, call_back): they are on the case's
timeline like any other, and the rows kept beside the case point at their event."""

import math
import re
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import db, is_sqlite
from core.workorders import scope, states, submissions, workflow
from core.workorders.models import CallBack, MergedCaller, WorkOrder

CALL_BACK_OUTCOMES = {
    "satisfied": _l("Satisfied"),
    "not_satisfied": _l("Not satisfied"),
    "unreachable": _l("Unreachable"),
}
_PHONE = re.compile(r"^\+?\d{4,20}$")
EARTH_RADIUS_METRES = 6_371_000
MAX_CANDIDATES = 10


def phone_number(raw: str) -> str:
    """A phone number as kept: without the spaces and dashes people type in it."""
    return re.sub(r"[\s\-()]", "", raw or "")[:30]


def phone_typed(q: str) -> str | None:
    """The phone number (or the part of one, at least 4 digits) a search names, or None."""
    phone = phone_number(q)
    return phone if _PHONE.match(phone) else None


def orders_of_phone(phone: str):
    """The ids of the cases a caller with this number (or part of one) was merged into."""
    return MergedCaller.select(MergedCaller.order).where(MergedCaller.caller_phone.contains(phone))


def metres_between(lat1, lon1, lat2, lon2) -> float:
    """The great-circle distance (haversine)."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi, dlambda = phi2 - phi1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


def duplicates(fields: dict, now=None) -> list[tuple[WorkOrder, float | None]]:
    """The open cases of the same category, reported within HOTLINE_DUPLICATE_DAYS, within
    HOTLINE_DUPLICATE_METRES of the new call's place or at the same address: (case, metres or None),
    nearest first. A box of latitude and longitude around the place narrows the rows first."""
    category, address = fields.get("category"), (fields.get("address") or "").strip()
    latitude, longitude = fields.get("latitude"), fields.get("longitude")
    near = latitude is not None and longitude is not None
    if category is None or not (near or address):
        return []
    metres = current_app.config["HOTLINE_DUPLICATE_METRES"]
    since = (now or clock.now()) - timedelta(days=current_app.config["HOTLINE_DUPLICATE_DAYS"])
    place = None
    if near:
        dlat = Decimal(metres / 111_320)  # metres per degree of latitude
        dlon = Decimal(metres / (111_320 * max(math.cos(math.radians(float(latitude))), 0.01)))
        place = WorkOrder.latitude.between(latitude - dlat, latitude + dlat) & WorkOrder.longitude.between(
            longitude - dlon, longitude + dlon
        )
    same_address = (WorkOrder.address == address) if address else None
    where = place if same_address is None else same_address if place is None else (place | same_address)
    rows = (
        WorkOrder.select()
        .where(
            (WorkOrder.category == category)
            & WorkOrder.status.in_(sorted(states.OPEN))
            & (WorkOrder.reported_at >= since)
            & where
        )
        .order_by(WorkOrder.reported_at.desc())
        .limit(MAX_CANDIDATES * 5)
    )
    found = []
    for order in rows:
        distance = None
        if near and order.latitude is not None and order.longitude is not None:
            distance = metres_between(latitude, longitude, order.latitude, order.longitude)
        if (distance is not None and distance <= metres) or (address and order.address == address):
            found.append((order, distance))
    found.sort(key=lambda pair: (pair[1] is None, pair[1] or 0))
    return found[:MAX_CANDIDATES]


def merge(
    order_id: int, *, actor, caller_name: str, caller_phone: str, description: str = "", submission_key=None
) -> WorkOrder:
    """Add a caller to an open case, in one workflow event: the caller is told the case's tracking number
    (a case a collector reported gets one now). With the form's submission key, a repeat of the post finds
    this case (submissions.Repeated) and adds no one twice. What this caller said is the event's reason."""
    now = clock.now()
    with db.atomic():
        query = WorkOrder.select().where(WorkOrder.id == order_id)
        # locked first, as transition() locks it: two callers merged at once count each other
        order = (query if is_sqlite() else query.for_update()).get_or_none()
        if order is None or not scope.can_see(actor, order):
            raise workflow.NotAllowed(_("There is no such case, or you may not see it."))
        if order.tracking_code is None:
            code = workflow.tracking_code()
            WorkOrder.update(tracking_code=code).where(WorkOrder.id == order.id).execute()
            order.tracking_code = code
        if submission_key is not None:
            submissions.record(submission_key, actor, order, now)
        callers = 1 + MergedCaller.select().where(MergedCaller.order == order).count() + 1
        event = workflow.transition(
            order.id,
            "merge_caller",
            actor=actor,
            version=None,
            reason=description,
            data={"callers": callers, "tracking_code": order.tracking_code, "anonymous": not caller_phone},
        )
        MergedCaller.create(
            order=order,
            event=event,
            caller_name=caller_name,
            caller_phone=caller_phone,
            tracking_code=order.tracking_code,
            at=event.at,
            operator=actor,
        )
    return WorkOrder.get_by_id(order.id)


def callers(order: WorkOrder) -> list[MergedCaller]:
    return list(MergedCaller.select().where(MergedCaller.order == order).order_by(MergedCaller.id))


def phones(order: WorkOrder, merged=None) -> list[str]:
    """The phone numbers a call-back can ring: the first caller's and every merged caller's."""
    merged = callers(order) if merged is None else merged
    return [phone for phone in [order.caller_phone, *(m.caller_phone for m in merged)] if phone]


def call_back(order_id: int, *, actor, version, outcome: str, note: str = "") -> CallBack:
    """Record the call to the caller(s) of a closed case: satisfied, not satisfied or unreachable."""
    if outcome not in CALL_BACK_OUTCOMES:
        raise workflow.WorkflowError(_("Say how the call-back went."))
    order = WorkOrder.get_or_none(WorkOrder.id == order_id)
    if order is not None and not phones(order):
        raise workflow.WorkflowError(_("The caller left no phone number: there is no one to call back."))
    note = (note or "").strip()[:2000]
    with db.atomic():
        event = workflow.transition(
            order_id, "call_back", actor=actor, version=version, reason=note, data={"outcome": outcome}
        )
        return CallBack.create(
            order=order_id,
            event=event,
            at=event.at,
            caller=actor,
            caller_name=actor.username,
            outcome=outcome,
            note=note,
        )


def call_backs(order: WorkOrder) -> list[CallBack]:
    return list(CallBack.select().where(CallBack.order == order).order_by(CallBack.id))
