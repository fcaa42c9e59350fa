"""The dashboard tests' small history (a Friday and a Monday of cases), shared by the dashboard and wall tests."""

import re
from datetime import datetime, timedelta

from core import clock
from core.workorders.models import WorkOrder
from tests.workorder_support import act, photo, report

FRIDAY = datetime(2026, 11, 27)
MONDAY = datetime(2026, 11, 30)
NOW = MONDAY.replace(hour=17)


def at(day, hh, mm=0):
    return day.replace(hour=hh, minute=mm)


def step(city, order, when, action, role, **kwargs):
    with clock.frozen(when):
        act(city, order, action, role, **kwargs)


def file(city, order, when):
    step(city, order, when, "file", "shift_leader", data={"standard": city.standard.id})


def dispatch(city, order, when, department=None):
    step(city, order, when, "dispatch", "dispatcher", data={"department": (department or city.sanitation).id})


def handled(city, order, when):
    step(city, order, when, "report_handled", "handler", reason="done", photos=[photo(city.users["handler"])])


def reported(city, when, **fields):
    with clock.frozen(when):
        return report(city, **fields)


def _history(city):
    """Friday: F dispatched to landscaping at 10:10 (on time), due 16:10, never handled: overdue.
    Monday (limit 4 working hours; dispatch stage limit 15 minutes):
      A reported 9:00, filed 9:05, dispatched 9:10 (on time), due 15:10, handled 11:00 (on time), closed 12:00;
      B reported 9:00, filed 9:05, dispatched 9:40 (late), due 15:40, handled 16:00 (late);
      C reported 10:00, filed 10:05, never dispatched (late from 10:20);
      D reported 9:30, filed 9:45, dispatched 9:50 (on time), suspended (approved): not due to handle;
      E reported 10:30 in the other community, not filed."""
    f = reported(city, at(FRIDAY, 10))
    file(city, f, at(FRIDAY, 10, 5))
    dispatch(city, f, at(FRIDAY, 10, 10), city.landscaping)

    a = reported(city, at(MONDAY, 9))
    b = reported(city, at(MONDAY, 9))
    d = reported(city, at(MONDAY, 9, 30))
    c = reported(city, at(MONDAY, 10))
    e = reported(city, at(MONDAY, 10, 30), grid=city.other_grid)
    file(city, a, at(MONDAY, 9, 5))
    file(city, b, at(MONDAY, 9, 5))
    dispatch(city, a, at(MONDAY, 9, 10))
    step(city, a, at(MONDAY, 9, 30), "accept", "handler")
    dispatch(city, b, at(MONDAY, 9, 40))
    file(city, d, at(MONDAY, 9, 45))
    dispatch(city, d, at(MONDAY, 9, 50))
    file(city, c, at(MONDAY, 10, 5))
    until = (MONDAY + timedelta(days=20)).date().isoformat()
    step(city, d, at(MONDAY, 10, 30), "request_suspension", "handler", reason="budget", data={"until": until})
    step(city, d, at(MONDAY, 10, 40), "approve_suspension", "dispatcher")
    handled(city, a, at(MONDAY, 11))
    step(city, a, at(MONDAY, 11, 30), "check_pass", "collector")
    step(city, a, at(MONDAY, 12), "close", "shift_leader")
    handled(city, b, at(MONDAY, 16))
    orders = {name: WorkOrder.get_by_id(o.id) for name, o in zip("abcdef", (a, b, c, d, e, f), strict=True)}
    assert orders["a"].due_at == at(MONDAY, 15, 10) and orders["b"].due_at == at(MONDAY, 15, 40)
    assert orders["f"].due_at == at(FRIDAY, 16, 10) and orders["d"].status == "suspended"
    return orders


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
