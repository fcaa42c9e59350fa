"""A case's clocks: the current stage's deadline and when its warning light turns yellow, the light
itself (green, yellow, red) and whether the handling deadline has passed."""

from datetime import datetime

from flask_babel import gettext as _

from core import clock
from core.db import db
from core.timelimits import parse_limit
from core.workorders.models import WorkOrder
from core.workorders.states import AT_DEPARTMENT, FINAL, OPEN, STAGE_OF
from core.worktime import deadlines


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
        if order.clock_from and order.clock_from > now:  # a seasonal limit waiting for its season
            order.stage_started_at = order.clock_from
        return
    limit = parse_limit(stage_limits[stage])
    order.stage_unit = limit.unit
    order.stage_due_at = deadlines.due_at(now, limit.value, limit.unit)


def warn_time(order: WorkOrder):
    """Keep stage_warn_at with the stage clock, wherever an action moved it."""
    if order.stage_started_at and order.stage_due_at and order.stage_unit:
        order.stage_warn_at = deadlines.warn_at(order.stage_started_at, order.stage_due_at, order.stage_unit)
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
    return deadlines.light(order.stage_started_at, order.stage_due_at, now or clock.now(), order.stage_unit)


def overdue(order: WorkOrder, now: datetime | None = None) -> bool:
    return order.due_at is not None and order.status in AT_DEPARTMENT and (now or clock.now()) > order.due_at


# The list's "time left" in the stage's own unit: "3 working h left", "overdue 2 working h" (超时 2工作时).
_AMOUNTS = {
    "work_hour": (3600, lambda n: _("%(n)s working h", n=n)),
    "work_day": (86400, lambda n: _("%(n)s working d", n=n)),
    "urgent_hour": (3600, lambda n: _("%(n)s h", n=n)),
    "hour": (3600, lambda n: _("%(n)s h", n=n)),
    "urgent_day": (86400, lambda n: _("%(n)s d", n=n)),
    "day": (86400, lambda n: _("%(n)s d", n=n)),
}


def _amount(seconds: float, unit: str, unit_seconds: dict) -> str:
    """Whole units of the unit's clock (a work_day: as long as the calendar's rule makes it); below one unit,
    hours (a day unit: working hours when a work_day is working hours) or minutes (an hour unit)."""
    size, label = _AMOUNTS.get(unit, _AMOUNTS["hour"])
    size = unit_seconds.get(unit, size)
    if seconds >= size:
        return label(int(seconds // size))
    if size > 3600 and seconds >= 3600:
        if unit == "work_day" and size < 86400:
            return _AMOUNTS["work_hour"][1](int(seconds // 3600))
        return _("%(n)s h", n=int(seconds // 3600))
    return _("%(n)s min", n=max(int(seconds // 60), 1) if seconds > 0 else 0)


def _span(seconds: float) -> str:
    minutes = max(int(seconds // 60), 0)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    return _("%(m)d min", m=mins)


class ListClocks:
    """The case list's two clock columns for one moment (the calendar taken once for the page's rows)."""

    def __init__(self, now: datetime):
        self.now = now
        self.calendar = deadlines.current_calendar()

    def seconds_left(self, order) -> float | None:
        """The stage clock's time left in its unit's counting (negative: overdue); None without a clock."""
        if order.status in FINAL or order.status == "suspended" or not order.stage_due_at:
            return None
        unit = order.stage_unit or "hour"
        if unit not in self.calendar.unit_seconds:
            unit = "hour"
        return self.calendar.counted_seconds(self.now, order.stage_due_at, unit)

    def left(self, order) -> str:
        if order.status == "suspended" and order.suspended_until:
            return _("paused until %(date)s", date=order.suspended_until.strftime("%m-%d"))
        seconds = self.seconds_left(order)
        if seconds is None:
            return "—"
        amount = _amount(abs(seconds), order.stage_unit, self.calendar.unit_seconds)
        return _("overdue %(amount)s", amount=amount) if seconds < 0 else _("%(amount)s left", amount=amount)

    def elapsed(self, order) -> str:
        """Wall-clock time since the report."""
        return _span((self.now - order.reported_at).total_seconds())
