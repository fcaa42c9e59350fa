"""The hand-computed evaluation history of October 2026 (tests/test_evaluation.py) and its fixtures,
shared with the archive, deduction-picker and browser tests."""

from datetime import datetime
from decimal import Decimal

import pytest

from core import clock
from core.catalogue.models import FilingStandard
from core.db import db
from core.evaluation import periods
from core.workorders import workflow
from core.workorders.models import WorkOrder
from tests.workorder_support import build_city, photo

OCT = periods.parse("2026-10")
NOV = periods.parse("2026-11")


@pytest.fixture
def app(english_app):
    """English, so that tests can read labels."""
    return english_app


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context():
        # A 4-hour (continuous) limit keeps the hand computation simple: due = dispatch + 4 h.
        made.hours = FilingStandard.create(
            category=made.category, seq=2, filing_condition="四小时", limit_text="4小时", limit_value=Decimal(4),
            limit_unit="hour", limit_note="", closing_condition="", handling_unit="", supervising_unit="", source="t",
        )  # fmt: skip
        yield made


def at(moment):
    return clock.frozen(moment)


class Life:
    """One case, acted on at given times by given roles (stage limits: file 30 min, dispatch 15 min,
    verify and check 2 h, close 1 h; handling 4 h)."""

    def __init__(self, city, when, source="collector", grid=None, caller=""):
        self.city = city
        actor = city.users["collector" if source == "collector" else "intake"]
        with at(when):
            self.order = workflow.create_order(
                actor, source, category=city.category, grid=grid or city.grid, description="x",
                caller_name=caller, caller_phone="13800000000" if caller else "",
            )  # fmt: skip

    def do(self, when, action, role, **kwargs):
        fresh = WorkOrder.get_by_id(self.order.id)
        if action == "report_handled":
            kwargs.setdefault("reason", "done")
            kwargs.setdefault("photos", [photo(self.city.users[role])])
        with at(when):
            workflow.transition(self.order.id, action, actor=self.city.users[role], version=fresh.version, **kwargs)
        return self

    def file(self, when):
        return self.do(when, "file", "shift_leader", data={"standard": self.city.hours.id})

    def dispatch(self, when, department=None):
        dept = department or self.city.sanitation
        return self.do(when, "dispatch", "dispatcher", data={"department": dept.id})

    def finish(self, handled, checked, closed):
        self.do(handled, "report_handled", "handler")
        self.do(checked, "check_pass", "collector")
        return self.do(closed, "close", "shift_leader")


def T(day, hour, minute=0, month=10):
    return datetime(2026, month, day, hour, minute)


@pytest.fixture
def history(city):
    """The hand-computed history of October 2026 (and the first hours of November)."""
    lives = {}
    # A: everything on time; closed 10:40, before its handling deadline 13:20.
    a = lives["A"] = Life(city, T(10, 9))
    a.file(T(10, 9, 10)).dispatch(T(10, 9, 20)).finish(T(10, 10), T(10, 10, 30), T(10, 10, 40))
    # B: dispatched late (due 09:25), handled late (due 13:40), closed after the deadline.
    b = lives["B"] = Life(city, T(11, 9))
    b.file(T(11, 9, 10)).dispatch(T(11, 9, 40)).finish(T(11, 15), T(11, 15, 30), T(11, 15, 45))
    # C: an extension (deadline 13:15 → 17:15), handled 16:00, check fails (rework, new deadline 20:30),
    # handled again 18:00, closed 18:40: two handling rounds due in October.
    c = lives["C"] = Life(city, T(12, 9))
    c.file(T(12, 9, 5)).dispatch(T(12, 9, 15))
    c.do(T(12, 10), "request_extension", "handler", reason="more time")
    c.do(T(12, 10, 5), "approve_extension", "dispatcher")
    c.do(T(12, 16), "report_handled", "handler")
    c.do(T(12, 16, 30), "check_fail", "collector", reason="not clean")
    c.finish(T(12, 18), T(12, 18, 30), T(12, 18, 40))
    # D: suspended: not due.
    d = lives["D"] = Life(city, T(13, 9))
    d.file(T(13, 9, 5)).dispatch(T(13, 9, 15))
    d.do(T(13, 9, 30), "request_suspension", "handler", reason="budget", data={"until": "2027-03-01T00:00:00"})
    d.do(T(13, 10), "approve_suspension", "dispatcher")
    # E: due 31 Oct 19:10, handled 1 Nov 10:00: due in October and not handled by its end.
    e = lives["E"] = Life(city, T(31, 15))
    e.file(T(31, 15, 5)).dispatch(T(31, 15, 10))
    e.do(T(1, 10, month=11), "report_handled", "handler")
    # F: dispatched 31 Oct 22:00, due 1 Nov 02:00, handled 1 Nov 01:00: November's.
    f = lives["F"] = Life(city, T(31, 21, 50))
    f.file(T(31, 21, 55)).dispatch(T(31, 22))
    f.do(T(1, 1, month=11), "report_handled", "handler")
    # G: dispatched to the wrong department, returned, dispatched again; handled on time.
    g = lives["G"] = Life(city, T(14, 9))
    g.file(T(14, 9, 5)).dispatch(T(14, 9, 15), city.landscaping)
    g.do(T(14, 10), "return", "other_handler", reason="not ours")
    g.dispatch(T(14, 10, 10)).finish(T(14, 11), T(14, 11, 20), T(14, 11, 30))
    # H: voided after filing.
    h = lives["H"] = Life(city, T(15, 9))
    h.file(T(15, 9, 10)).do(T(15, 9, 20), "void", "shift_leader", reason="duplicate")
    # I: a hotline report in the other collector's grid, verified and filed: a miss for that collector.
    i = lives["I"] = Life(city, T(16, 9), source="hotline", grid=city.other_grid, caller="王先生")
    i.do(T(16, 9, 30), "verify_true", "other_collector")
    i.file(T(16, 9, 40))
    for life in lives.values():
        life.order = WorkOrder.get_by_id(life.order.id)
    return lives
