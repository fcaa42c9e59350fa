"""A case's clocks: the current stage's deadline and when its warning light turns yellow, the light
itself (green, yellow, red) and whether the handling deadline has passed."""

from datetime import datetime

from core import clock, worktime
from core.db import db
from core.timelimits import parse_limit
from core.workorders.models import WorkOrder
from core.workorders.states import AT_DEPARTMENT, FINAL, OPEN, STAGE_OF


def stage_clock(order: WorkOrder, now: datetime, stage_limits: dict):
    """Start the clock of the stage the case's status is in (`stage_limits`: the workflow rules' limit text
    per stage; handling runs on the case's own deadline)."""
    stage = STAGE_OF.get(order.status, "")
    order.stage = stage
    if not stage:
        order.stage_started_at = order.stage_due_at = None
        order.stage_unit = ""
        return
    order.stage_started_at = now
    if stage == "handle":
        order.stage_due_at, order.stage_unit = order.due_at, order.limit_unit
        return
    limit = parse_limit(stage_limits[stage])
    order.stage_unit = limit.unit
    order.stage_due_at = worktime.due_at(now, limit.value, limit.unit)


def warn_time(order: WorkOrder):
    """Keep stage_warn_at with the stage clock, wherever an action moved it."""
    if order.stage_started_at and order.stage_due_at and order.stage_unit:
        order.stage_warn_at = worktime.warn_at(order.stage_started_at, order.stage_due_at, order.stage_unit)
    else:
        order.stage_warn_at = None


def fill_warn_times() -> int:
    """Open cases from before stage_warn_at existed get theirs (run by `flask db upgrade`)."""
    missing = WorkOrder.select().where(
        WorkOrder.stage_warn_at.is_null() & WorkOrder.stage_due_at.is_null(False) & WorkOrder.status.in_(list(OPEN))
    )
    filled = 0
    with db.atomic():
        for order in missing.iterator():
            warn_time(order)
            WorkOrder.update(stage_warn_at=order.stage_warn_at).where(WorkOrder.id == order.id).execute()
            filled += 1
    return filled


def light(order: WorkOrder, now: datetime | None = None) -> str:
    """green, yellow or red for an open case's current stage; "" when no clock runs."""
    if order.status in FINAL or order.status == "suspended" or not order.stage_due_at:
        return ""
    return worktime.light(order.stage_started_at, order.stage_due_at, now or clock.now(), order.stage_unit)


def overdue(order: WorkOrder, now: datetime | None = None) -> bool:
    return order.due_at is not None and order.status in AT_DEPARTMENT and (now or clock.now()) > order.due_at
