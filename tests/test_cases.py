"""Cases from a campaign (core/workorders/cases.py): opened with their origin, filed and dispatched;
concluded from any open status in one event with an outcome; done by a named system actor whose declared
permissions the workflow checks (no more actor=None); a concluded case left out of the department's
handling figures."""

from datetime import datetime

import pytest

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.evaluation import indicators
from core.workorders import cases, workflow
from core.workorders.actors import SYSTEM, system_actor
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.workflow import NotAllowed
from tests.workorder_support import act, build_city, photo, report, to_dispatched

MONDAY = datetime(2026, 11, 30, 8, 0)
CAMPAIGN = system_actor(
    "test_campaign", "测试专项", {"workorder.view_all", "workorder.file", "workorder.dispatch", "workorder.conclude"}
)


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context():
        yield made


def reload(order):
    return WorkOrder.get_by_id(order.id)


def open_one(city, object_id=7, **kwargs):
    return cases.open_case(
        ("test_campaign", "thing", object_id),
        city.category,
        actor=CAMPAIGN,
        dispatch=kwargs.pop("dispatch", city.sanitation),
        reason="专项",
        grid=city.grid,
        description="专项发现",
        **kwargs,
    )


# --- no more "system skips every check" -------------------------------------------------------------


def test_the_workflow_refuses_a_missing_actor_and_positional_actor_and_version(city):
    order = report(city)
    with pytest.raises(TypeError):
        workflow.transition(order.id, "file", actor=None, version=None, data={"standard": city.standard.id})
    with pytest.raises(TypeError):
        workflow.transition(
            order.id, "file", city.users["shift_leader"], order.version
        )  # actor and version are keyword-only
    with pytest.raises(TypeError):
        workflow.create_order(None, "campaign", category=city.category, description="x")
    assert reload(order).status == "reported" and reload(order).version == 1


def test_a_system_actor_may_do_only_what_it_declares(city):
    order = open_one(city)
    # never the department's own work: reporting handled is for the responsible department's people
    with pytest.raises(NotAllowed):
        workflow.transition(order.id, "accept", actor=CAMPAIGN, version=None)
    with pytest.raises(NotAllowed):
        workflow.transition(order.id, "approve_extension", actor=CAMPAIGN, version=None)
    blind = system_actor("blind_campaign", "x", {"workorder.conclude"})
    with pytest.raises(NotAllowed, match="no such case|不存在|may not see"):
        cases.conclude(order, "object_gone", actor=blind, reason="x")
    # nor may a person conclude a case (the case page never offers it either)
    with pytest.raises(NotAllowed):
        cases.conclude(order, "object_gone", actor=city.users["shift_leader"], reason="x")
    assert reload(order).status == "dispatched"
    # the core's own job actor: it resumes suspensions, nothing else
    assert SYSTEM.can("workorder.approve") and not SYSTEM.can("workorder.conclude")


def test_open_case_records_its_origin_files_and_dispatches_as_the_actor(city):
    order = open_one(city, object_id=42)
    assert (order.source, order.status, order.department_id) == ("campaign", "dispatched", city.sanitation.id)
    assert order.origin == ("test_campaign", "thing", "42") and order.standard_id == city.standard.id
    assert order.reporter_id is None
    names = [(e.action, e.actor_name, e.actor_id) for e in order.events.order_by(WorkOrderEvent.id)]
    assert names == [
        ("create", "test_campaign", None),
        ("file", "test_campaign", None),
        ("dispatch", "test_campaign", None),
    ]
    assert [o.id for o in cases.of_origin("test_campaign", "thing", 42)] == [order.id]
    assert list(cases.of_origin("test_campaign", "thing", 43)) == []


# --- conclude from any status -----------------------------------------------------------------------


def _to(city, status):
    """A case brought to `status` by the people whose work it is."""
    if status == "to_verify":
        return workflow.create_order(city.users["intake"], "hotline", description="x", grid=city.grid, caller_phone="1")
    order = report(city)
    if status == "reported":
        return order
    if status == "filed":
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return reload(order)
    order = to_dispatched(city, order)
    if status == "returned":
        act(city, order, "return", "handler", reason="不是我们的")
    elif status == "handling":
        act(city, order, "accept", "handler")
    elif status == "suspended":
        act(city, order, "request_suspension", "handler", reason="等待", data={"until": "2026-12-20"})
        act(city, order, "approve_suspension", "dispatcher")
    elif status in ("handled", "checked"):
        act(city, order, "report_handled", "handler", reason="done", photos=[photo(city.users["handler"])])
        if status == "checked":
            act(city, order, "check_pass", "collector")
    return reload(order)


@pytest.mark.parametrize(
    "status, ends",
    [
        ("to_verify", "voided"),
        ("reported", "voided"),
        ("filed", "voided"),
        ("returned", "closed"),
        ("dispatched", "closed"),
        ("handling", "closed"),
        ("suspended", "closed"),
        ("handled", "closed"),
        ("checked", "closed"),
    ],
)
def test_conclude_ends_a_case_from_any_open_status_in_one_event(city, status, ends):
    with clock.frozen(MONDAY):
        order = _to(city, status)
        assert order.status == status
        version = order.version
        event = cases.conclude(order, "duplicate", actor=CAMPAIGN, reason="与另一案件重复")
    order = reload(order)
    assert (order.status, order.outcome, order.version) == (ends, "duplicate", version + 1)
    assert (event.action, event.from_status, event.to_status, event.actor_name) == (
        "conclude",
        status,
        ends,
        "test_campaign",
    )
    assert order.stage == "" and order.stage_due_at is None and order.suspended_until is None
    assert "ended_stage" not in (event.data or {})  # it stops no clock that was met or missed
    entry = AuditEntry.get(AuditEntry.action == "workorder.conclude")
    assert entry.actor_name == "test_campaign" and entry.after["outcome"] == "duplicate"
    assert cases.conclude(order, "duplicate", actor=CAMPAIGN, reason="again") is None  # ended already


def test_an_unknown_outcome_is_refused(city):
    order = open_one(city)
    with pytest.raises(workflow.WorkflowError):
        cases.conclude(order, "whatever", actor=CAMPAIGN, reason="x")
    assert reload(order).status == "dispatched"


# --- evaluation --------------------------------------------------------------------------------------


def test_an_object_gone_case_is_not_handled_on_time_for_the_department(city):
    """Two cases at 环卫处: one handled on time and closed, one concluded "object gone" by a campaign.
    The department is due one handling, not two, and the conclusion is counted as such."""
    with clock.frozen(MONDAY):
        handled = open_one(city, object_id=1)
        gone = open_one(city, object_id=2)
    with clock.frozen(datetime(2026, 11, 30, 9, 0)):
        act(city, handled, "accept", "handler")
        act(city, handled, "report_handled", "handler", reason="已清理", photos=[photo(city.users["handler"])])
        act(city, handled, "check_pass", "collector")
        act(city, handled, "close", "shift_leader")
        cases.conclude(gone, "object_gone", actor=CAMPAIGN, reason="车主已移走")
    figures = indicators.compute("department", datetime(2026, 11, 1), datetime(2026, 12, 1))[str(city.sanitation.id)]
    assert figures["received"] == 2
    assert (figures["due_to_handle"], figures["handled_on_time"], figures["closed"]) == (1, 1, 1)
    assert figures["on_time_handling_rate"] == 1.0
    assert (figures["concluded"], figures["concluded_object_gone"]) == (1, 1)
    drilled = indicators.drill(
        "department", str(city.sanitation.id), "concluded_object_gone", datetime(2026, 11, 1), datetime(2026, 12, 1)
    )
    assert drilled == [gone.id]
