"""A department's internal work (issue 11, core/workorders/department.py): its head assigns a case to one
of its handlers or a team's, and, when its requests go via the head, approves or refuses a handler's
return, extension and suspension requests before they reach the centre; decisions reach whoever asked;
notifications find people by what they may do, not by their roles' codes."""

from datetime import datetime

import pytest
from flask_babel import force_locale

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.notifications.models import Notification
from core.org import Department, Role, RolePermission
from core.workorders import notifications, queries, workflow
from core.workorders.models import WorkOrder, WorkOrderEvent
from tests.support import create_user, form_version, login
from tests.workorder_support import act, build_city, photo, report, to_dispatched

MONDAY = datetime(2026, 11, 30, 8, 0)


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(MONDAY):
        made.users["handler2"] = create_user("handler2", "handler", made.sanitation, name="二号处置员")
        team = Department.create(name="环卫一队", code="sanitation-1", type="professional", parent=made.sanitation)
        made.users["team_handler"] = create_user("team_handler", "handler", team, name="一队处置员")
        yield made


def via_head(city):
    Department.update(requests_via_head=True).where(Department.id == city.sanitation.id).execute()


def told(order, kind) -> set[str]:
    rows = Notification.select().where((Notification.subject_id == order.id) & (Notification.kind == kind))
    return {row.user.username for row in rows}


def fresh(order) -> WorkOrder:
    return WorkOrder.get_by_id(order.id)


def allowed(order, role, city) -> list[str]:
    return workflow.allowed_actions(fresh(order), city.users[role])


# --- assignment ------------------------------------------------------------------------------------


def test_the_head_assigns_a_case_to_a_teams_handler_who_alone_is_told_and_sees_it_first(city):
    order = to_dispatched(city, report(city))
    Notification.delete().execute()
    assert "assign" in allowed(order, "dept_head", city)
    assert "assign" not in allowed(order, "handler", city)  # a handler is no head
    with pytest.raises(workflow.NotAllowed):
        act(city, order, "assign", "handler", data={"assignee": city.users["handler2"].id})
    with force_locale("en"), pytest.raises(workflow.WorkflowError, match="one of the department's handlers"):
        act(city, order, "assign", "dept_head", data={"assignee": city.users["other_handler"].id})  # landscaping's

    team_handler = city.users["team_handler"]
    assert not workflow.can_see(team_handler, fresh(order))  # a team's handler: not yet
    act(city, order, "assign", "dept_head", data={"assignee": team_handler.id}, reason="你们队负责洞庭路")
    order = fresh(order)
    assert order.assignee_id == team_handler.id
    assert told(order, "assigned") == {"team_handler"}  # not every handler
    assert workflow.can_see(team_handler, order)
    assert "report_handled" in workflow.allowed_actions(order, team_handler)
    with clock.frozen(MONDAY):
        box, mine, query, statuses = queries.list_query(team_handler, {})
    assert box == "assigned" and mine.index("assigned") < mine.index("department")
    assert [row.id for row in queries._with_status(query, statuses)] == [order.id]
    # the department's other handlers still see it at their department, and have no assigned box first
    box, _mine, query, statuses = queries.list_query(city.users["handler"], {})
    assert box == "department" and order.id in [row.id for row in queries._with_status(query, statuses)]

    event = WorkOrderEvent.select().where(WorkOrderEvent.action == "assign").get()
    assert event.data["assignee_name"] == "一队处置员" and event.reason == "你们队负责洞庭路"
    entry = AuditEntry.get(AuditEntry.action == "workorder.assign")
    assert entry.after["assignee"] == "一队处置员" and entry.object_id == str(order.id)

    # reassigned: the new one is told; a rework goes to the assignee
    act(city, order, "assign", "dept_head", data={"assignee": city.users["handler2"].id})
    assert told(order, "assigned") == {"team_handler", "handler2"}
    assert AuditEntry.select().where(AuditEntry.action == "workorder.assign").count() == 2
    entry = AuditEntry.select().where(AuditEntry.action == "workorder.assign").order_by(AuditEntry.id.desc()).get()
    assert (entry.before["assignee"], entry.after["assignee"]) == ("一队处置员", "二号处置员")


def test_a_return_ends_the_assignment_and_a_rework_goes_to_the_assignee(city):
    order = to_dispatched(city, report(city))
    act(city, order, "assign", "dept_head", data={"assignee": city.users["handler2"].id})
    act(
        city,
        order,
        "report_handled",
        "handler2",
        reason="已清理",
        photos=[photo(city.users["handler2"])],
    )
    act(city, order, "check_fail", "collector", reason="仍有垃圾", photos=[photo(city.users["collector"])])
    assert told(order, "rework") == {"handler2"}
    act(city, order, "return", "handler2", reason="不属于本单位")
    assert fresh(order).assignee_id is None


def test_the_case_page_assigns_over_http_and_shows_it_on_the_timeline(app, city):
    order = to_dispatched(city, report(city))
    head = app.test_client()
    login(head, "dept_head")
    page = head.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'name="assignee"' in page and "一队处置员 (环卫一队)" in page
    posted = head.post(
        f"/orders/{order.id}/act",
        data={"action": "assign", "assignee": str(city.users["handler2"].id), "version": fresh(order).version},
    )
    assert posted.status_code == 302
    page = head.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="order-assignee">二号处置员<' in page
    assert "二号处置员" in page.split('class="timeline"', 1)[1]  # the timeline names the assignee
    junk = head.post(
        f"/orders/{order.id}/act", data={"action": "assign", "assignee": "x", "version": fresh(order).version}
    )
    assert junk.status_code == 422 and "请选择本部门（或其下属班组）的一名处置人员。" in junk.get_data(as_text=True)


# --- requests via the head -------------------------------------------------------------------------


def test_via_head_an_extension_waits_for_the_head_then_goes_to_the_centre(city):
    via_head(city)
    order = to_dispatched(city, report(city))
    due = fresh(order).due_at
    act(city, order, "request_extension", "handler", reason="需要调配车辆")
    assert fresh(order).head_request == "extension"
    assert told(order, "request") == {"dept_head"}  # not the centre yet
    assert "approve_extension" not in allowed(order, "dispatcher", city)
    with pytest.raises(workflow.NotAllowed):
        act(city, order, "approve_extension", "dispatcher")
    approvals = queries._box_query("approvals", city.users["dispatcher"], "approvals")
    assert order.id not in [row.id for row in approvals]
    assert "approve_request" not in allowed(order, "handler2", city)  # a colleague is no head
    with pytest.raises(workflow.NotAllowed):
        act(city, order, "approve_request", "handler2")

    act(city, order, "approve_request", "dept_head")
    assert fresh(order).head_request == "" and fresh(order).extension_requested
    assert told(order, "request") == {"dept_head", "dispatcher", "shift_leader"}
    assert told(order, "decision") == {"handler"}
    centre_text = Notification.get(Notification.kind == "request", Notification.user == city.users["dispatcher"]).text
    assert "需要调配车辆" in centre_text  # what the handler asked, not the head's empty note
    assert order.id in [row.id for row in queries._box_query("approvals", city.users["dispatcher"], "approvals")]
    assert fresh(order).due_at == due  # the clock ran on while the head decided

    act(city, order, "approve_extension", "dispatcher")
    decisions = Notification.select().where(
        (Notification.kind == "decision") & (Notification.user == city.users["handler"])
    )
    assert decisions.count() == 2  # the head's, then the centre's


def test_via_head_a_handler_cannot_return_directly_and_a_head_refuses_with_a_reason(city):
    via_head(city)
    order = to_dispatched(city, report(city))
    stage_due = fresh(order).stage_due_at
    assert "return" not in allowed(order, "handler", city) and "request_return" in allowed(order, "handler", city)
    with pytest.raises(workflow.NotAllowed):
        act(city, order, "return", "handler", reason="不属于本单位")
    act(city, order, "request_return", "handler", reason="不属于本单位")
    order = fresh(order)
    assert (order.status, order.head_request, order.returns) == ("dispatched", "return", 0)
    assert told(order, "request") == {"dept_head"} and told(order, "returned") == set()
    with pytest.raises(workflow.WorkflowError):  # a refusal says why
        act(city, order, "refuse_request", "dept_head")
    act(city, order, "refuse_request", "dept_head", reason="这是我们的职责，请处置")
    order = fresh(order)
    assert (order.status, order.head_request, order.stage_due_at) == ("dispatched", "", stage_due)
    [refusal] = Notification.select().where(Notification.kind == "decision")
    assert refusal.user_id == city.users["handler"].id and "这是我们的职责" in refusal.text


def test_the_head_finds_the_requests_waiting_for_them_in_their_own_box(app, city):
    """/orders/?box=head_requests lists the department's cases whose request waits for its head, with the
    count on the box's tab; a decision takes the case out; another department's head sees none of it and
    a handler has no such box."""
    via_head(city)
    waiting, other = to_dispatched(city, report(city)), to_dispatched(city, report(city))
    act(city, waiting, "request_extension", "handler", reason="需要调配车辆")
    head = app.test_client()
    login(head, "dept_head")
    page = head.get("/orders/", query_string={"box": "head_requests"}).get_data(as_text=True)
    assert "待我审批的申请" in page and f"/orders/{waiting.id}" in page and f"/orders/{other.id}" not in page
    counts = dict((name, n) for name, _label, n in queries.my_queue_counts(city.users["dept_head"]))
    assert counts["head_requests"] == 1
    act(city, waiting, "approve_request", "dept_head")
    page = head.get("/orders/", query_string={"box": "head_requests"}).get_data(as_text=True)
    assert f"/orders/{waiting.id}" not in page
    parks_head = create_user("parks_head", "dept_head", city.landscaping)
    act(city, other, "request_return", "handler", reason="应由园林处处置")
    assert [o.id for o in queries._box_query("head_requests", parks_head, "head_requests")] == []
    assert "head_requests" not in queries.my_boxes(city.users["handler"])


def test_via_head_an_approved_return_is_the_departments_return(city):
    via_head(city)
    order = to_dispatched(city, report(city))
    act(city, order, "request_return", "handler", reason="应由园林处处置")
    act(city, order, "approve_request", "dept_head", reason="同意")
    order = fresh(order)
    assert (order.status, order.returns, order.head_request) == ("returned", 1, "")
    event = WorkOrderEvent.select().order_by(WorkOrderEvent.id.desc()).get()
    assert (event.action, event.reason, event.actor_id) == ("return", "应由园林处处置", city.users["dept_head"].id)
    assert event.data["requested_by"] == city.users["handler"].id and event.data["ended_stage"] == "handle"
    assert told(order, "returned") == {"dispatcher"} and told(order, "decision") == {"handler"}


def test_a_head_asks_the_centre_directly_and_a_department_without_a_head_goes_direct(city):
    via_head(city)
    order = to_dispatched(city, report(city))
    assert "return" in allowed(order, "dept_head", city)
    act(city, order, "request_suspension", "dept_head", reason="等待管线迁改", data={"until": "2026-12-20"})
    assert fresh(order).head_request == "" and told(order, "request") == {"dispatcher", "shift_leader"}
    act(city, order, "approve_suspension", "shift_leader")
    assert told(order, "decision") == {"dept_head"}
    # a department set "via head" with no head: straight to the centre
    Department.update(requests_via_head=True).where(Department.id == city.landscaping.id).execute()
    other = report(city)
    act(city, other, "file", "shift_leader", data={"standard": city.standard.id})
    act(city, other, "dispatch", "dispatcher", data={"department": city.landscaping.id})
    assert "return" in allowed(other, "other_handler", city)


def test_direct_requests_go_to_the_centres_approvers_and_decisions_back(city):
    order = to_dispatched(city, report(city))
    assert "request_return" not in allowed(order, "handler", city)
    act(city, order, "request_extension", "handler", reason="需要调配车辆")
    assert fresh(order).head_request == ""
    assert told(order, "request") == {"dispatcher", "shift_leader"}
    act(city, order, "refuse_extension", "shift_leader", reason="时限足够")
    [decision] = Notification.select().where(Notification.kind == "decision")
    assert decision.user_id == city.users["handler"].id and "时限足够" in decision.text


def test_a_stale_form_is_refused_when_the_head_decides(city):
    via_head(city)
    order = to_dispatched(city, report(city))
    act(city, order, "request_extension", "handler", reason="需要调配车辆")
    seen = fresh(order).version
    act(city, order, "refuse_request", "dept_head", reason="不需要")
    with pytest.raises(workflow.Conflict):
        workflow.transition(order.id, "approve_request", actor=city.users["dept_head"], version=seen)


# --- recipients by permission ----------------------------------------------------------------------


def test_recipients_are_found_by_permission_not_by_role_code(city):
    """A bureau's own roles: 保洁班长 handles cases, 值班长 approves requests; nobody holds a built-in role."""
    worker_role = Role.create(code="cleaning_lead", name="保洁班长")
    approver_role = Role.create(code="duty_chief", name="值班长")
    for role, permission in (
        (worker_role, "workorder.handle"),
        (worker_role, "workorder.view_department"),
        (approver_role, "workorder.approve"),
        (approver_role, "workorder.view_all"),
    ):
        RolePermission.create(role=role, permission=permission)
    city.users["lead"] = create_user("lead", "cleaning_lead", city.sanitation)
    create_user("chief", "duty_chief", city.users["dispatcher"].department)
    order = to_dispatched(city, report(city))
    assert {"lead", "handler", "handler2"} <= told(order, "dispatched")
    assert "dept_head" not in told(order, "dispatched")  # the head hears when there is no handler
    act(city, order, "request_extension", "lead", reason="需要调配车辆")
    assert "chief" in told(order, "request")
    assert notifications.recipients(fresh(order), None) == (None, [])


def test_reminders_reach_the_department_by_permission(city):
    from core.workorders.jobs import supervise

    order = to_dispatched(city, report(city))
    with clock.frozen(datetime(2026, 11, 30, 14, 30)):  # past the 12:00 deadline, in working time
        supervise()
    assert {"handler", "handler2", "dept_head"} <= told(order, "overdue")


# --- the department's setting ----------------------------------------------------------------------


def test_the_department_page_sets_via_head_with_the_version_lock(app, city):
    admin, other = app.test_client(), app.test_client()
    login(admin, "admin")
    login(other, "admin")
    url = f"/admin/departments/{city.sanitation.id}"
    form = {"name": "环卫处", "code": "sanitation", "type": "professional", "parent": "0", "phone": "", "sort": "0"}
    assert 'name="requests"' in admin.get(url).get_data(as_text=True)
    stale = form_version(other, url)
    saved = admin.post(url, data={**form, "requests": "head", "version": form_version(admin, url)})
    assert saved.status_code == 302
    assert Department.get_by_id(city.sanitation.id).requests_via_head
    assert AuditEntry.get(AuditEntry.action == "department.update").after == {"requests": "head"}
    refused = other.post(url, data={**form, "requests": "direct", "version": stale})
    assert refused.status_code == 409
    assert Department.get_by_id(city.sanitation.id).requests_via_head
    page = admin.get(url).get_data(as_text=True)
    assert 'value="head" selected' in page or 'selected value="head"' in page
