"""Property test: random sequences of allowed and forbidden actions, by random people, with fresh
and stale versions, never leave a case inconsistent."""

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core import clock
from core.db import db
from core.workorders import clocks, workflow
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.states import ACTIONS, AT_DEPARTMENT, STATUSES
from core.workorders.workflow import WorkflowError
from tests.workorder_support import build_city, photo, report

PEOPLE = [
    "collector",
    "other_collector",
    "intake",
    "shift_leader",
    "dispatcher",
    "handler",
    "other_handler",
    "dept_head",
    "leader",
]
START = datetime(2026, 11, 30, 8, 0)

# Who would normally take each action: most steps use that person, so that cases get far along the loop;
# the others come from anyone, to try the forbidden paths.
USUAL = {
    "verify_true": "collector", "verify_false": "collector", "check_pass": "collector", "check_fail": "collector",
    "reject": "intake", "file": "shift_leader", "void": "shift_leader", "close": "shift_leader",
    "dispatch": "dispatcher", "approve_extension": "dispatcher", "refuse_extension": "dispatcher",
    "approve_suspension": "dispatcher", "refuse_suspension": "dispatcher", "resume": "dispatcher",
    "accept": "handler", "return": "handler", "report_handled": "handler", "request_extension": "handler",
    "request_suspension": "handler", "supervise": "leader", "conclude": "shift_leader",
    "merge_caller": "intake", "call_back": "intake", "assign": "dept_head", "request_return": "handler",
    "approve_request": "dept_head", "refuse_request": "dept_head",
}  # fmt: skip
# "next": the action that moves a case on from its current status, so that cases get around the loop.
NEXT = {
    "to_verify": "verify_true", "reported": "file", "filed": "dispatch", "returned": "dispatch",
    "dispatched": "accept", "handling": "report_handled", "handled": "check_pass", "checked": "close",
    "suspended": "resume",
}  # fmt: skip


def mostly(usual, other, tenths=8):
    """`usual` in about `tenths` of ten draws, else a draw from `other`."""
    return st.integers(0, 9).flatmap(lambda n: st.just(usual) if n < tenths else other)


step = st.tuples(
    mostly("next", st.sampled_from(sorted(ACTIONS)), 7),
    mostly(None, st.sampled_from(PEOPLE)),  # None: the usual person for the action
    mostly(True, st.just(False)),  # with a reason
    mostly(False, st.just(True), 9),  # with a stale version
    st.integers(min_value=1, max_value=600),  # minutes until this step
)


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_databases):
    """One app and city for all examples (each example makes its own case)."""
    from app import create_app

    folder = tmp_path_factory.mktemp("properties")
    url = template_databases.url(folder)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": url,
            "SCHEDULER_ENABLED": False,
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    template_databases.migrated(app)
    city = build_city()
    with app.app_context(), db.connection_context():
        yield city


def check(order: WorkOrder):
    events = list(order.events.order_by(WorkOrderEvent.id))
    assert order.status in STATUSES
    assert order.version == len(events), "every change is one event"
    assert events[-1].to_status == order.status
    if order.status == "closed":
        moments = [order.reported_at, order.filed_at, order.dispatched_at, order.handled_at, order.closed_at]
        assert all(moments), "a closed case has every milestone"
        assert moments == sorted(moments)
    if order.status in AT_DEPARTMENT:
        assert order.department_id and order.due_at and order.limit_value
    if order.status == "suspended":
        assert order.suspended_from and clocks.light(order, order.suspended_from + timedelta(days=30)) == ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_random_actions_never_leave_a_case_inconsistent(world, steps):
    city = world
    now = START
    with clock.frozen(now):
        order = report(city)
    for action, person, with_reason, stale, minutes in steps:
        status = WorkOrder.get_by_id(order.id).status
        action = NEXT.get(status, "close") if action == "next" else action
        person = person or USUAL[action]
        now += timedelta(minutes=minutes)
        before = WorkOrder.get_by_id(order.id)
        data = {
            "standard": city.standard.id,
            "department": city.sanitation.id,
            "until": (now + timedelta(days=3)).date().isoformat(),
            "assignee": city.users["handler"].id,
        }
        pictures = [photo(city.users[person], "green")] if action in ("report_handled", "check_pass") else []
        version = before.version - 1 if stale else before.version
        with clock.frozen(now):
            try:
                workflow.transition(
                    order.id,
                    action,
                    actor=city.users[person],
                    version=version,
                    reason="理由" if with_reason else "",
                    data=data,
                    photos=pictures,
                )
                changed = True
            except WorkflowError:
                changed = False
        after = WorkOrder.get_by_id(order.id)
        if not changed:
            assert (after.version, after.status, after.due_at) == (before.version, before.status, before.due_at)
        else:
            assert not stale, "a stale version never wins"
            if action == "resume":
                assert after.due_at >= before.due_at, "the clock does not run while suspended"
        check(after)
    event(f"ended {WorkOrder.get_by_id(order.id).status}")
