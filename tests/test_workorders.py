"""The closed loop through the one transition function: states, deadlines, extensions, suspensions,
rework, returns, versions, numbers, and who may do and see what."""

import threading
from datetime import datetime

import pytest

from core import clock
from core.db import db
from core.notifications.models import Notification
from core.workorders import clocks, scope, workflow
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.workflow import Conflict, NotAllowed, WorkflowError
from tests.workorder_support import act, build_city, photo, report, to_dispatched

FRIDAY_1730 = datetime(2026, 11, 27, 17, 30)


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context():
        yield made


def reload(order):
    return WorkOrder.get_by_id(order.id)


def test_a_case_goes_around_the_whole_loop(city):
    with clock.frozen(FRIDAY_1730):
        order = report(city)
        assert order.status == "reported" and order.number == "2026-000001"
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id})
    order = reload(order)
    # 4 working hours from Friday 17:30: half an hour on Friday, three and a half on Monday morning.
    assert order.due_at == datetime(2026, 11, 30, 11, 30)
    assert (order.limit_value, order.limit_unit) == (4, "work_hour")
    with clock.frozen(datetime(2026, 11, 30, 9, 0)):
        act(city, order, "accept", "handler")
        act(city, order, "report_handled", "handler", reason="已清理", photos=[photo(city.users["handler"], "green")])
        act(city, order, "check_pass", "collector")
        act(city, order, "close", "shift_leader")
    order = reload(order)
    assert order.status == "closed"
    assert all((order.reported_at, order.filed_at, order.dispatched_at, order.handled_at, order.closed_at))
    actions = [e.action for e in order.events.order_by(WorkOrderEvent.id)]
    assert actions == ["create", "file", "dispatch", "accept", "report_handled", "check_pass", "close"]
    assert order.version == len(actions)


def test_handled_needs_a_photo_of_the_result(city):
    order = to_dispatched(city, report(city))
    with pytest.raises(WorkflowError, match="photo|照片"):
        act(city, order, "report_handled", "handler", reason="done")
    assert reload(order).status == "dispatched"


def test_citizen_reports_are_verified_on_site_first(city):
    order = workflow.create_order(
        city.users["intake"], "hotline", description="噪音", grid=city.grid, caller_phone="139"
    )
    assert order.status == "to_verify" and len(order.tracking_code) == 9
    with pytest.raises(WorkflowError):
        act(city, order, "verify_false", "collector")  # a reason is required
    act(city, order, "verify_true", "collector")
    assert reload(order).status == "reported"


def test_a_collector_cannot_verify_outside_their_grids(city):
    order = workflow.create_order(
        city.users["intake"], "hotline", description="噪音", grid=city.grid, caller_phone="139"
    )
    with pytest.raises(NotAllowed):
        act(city, order, "verify_true", "other_collector")


def test_void_and_reject_need_a_reason_and_end_the_case(city):
    order = report(city)
    with pytest.raises(WorkflowError):
        act(city, order, "void", "shift_leader")
    act(city, order, "void", "shift_leader", reason="重复上报")
    assert reload(order).status == "voided"
    with pytest.raises(WorkflowError):
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})


def test_return_and_redispatch_to_another_department(city):
    order = to_dispatched(city, report(city))
    with pytest.raises(NotAllowed):
        act(city, order, "return", "other_handler", reason="不是我们的")  # not their department
    act(city, order, "return", "handler", reason="属于园林")
    order = reload(order)
    assert (order.status, order.returns) == ("returned", 1)
    act(city, order, "dispatch", "dispatcher", data={"department": city.landscaping.id})
    assert reload(order).department_id == city.landscaping.id


def test_rework_goes_back_to_the_same_department_with_a_new_round(city):
    with clock.frozen(datetime(2026, 11, 30, 9, 0)):
        order = to_dispatched(city, report(city))
        act(city, order, "report_handled", "handler", reason="done", photos=[photo(city.users["handler"], "blue")])
    with clock.frozen(datetime(2026, 11, 30, 14, 0)):
        act(city, order, "check_fail", "collector", reason="仍有垃圾")
    order = reload(order)
    assert (order.status, order.reworks, order.department_id) == ("dispatched", 1, city.sanitation.id)
    assert order.due_at == datetime(2026, 11, 30, 18, 0)
    assert order.handled_at is None


def test_extensions_add_one_limit_at_most_twice_and_refusals_do_not_count(city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
        assert reload(order).due_at == datetime(2026, 11, 30, 12, 0)
        act(city, order, "request_extension", "handler", reason="需要配件")
        act(city, order, "refuse_extension", "dispatcher", reason="不需要")
        act(city, order, "request_extension", "handler", reason="需要配件")
        act(city, order, "approve_extension", "dispatcher")
        assert reload(order).due_at == datetime(2026, 11, 30, 18, 0)  # + 4 working hours, lunch skipped
        act(city, order, "request_extension", "handler", reason="还需要")
        act(city, order, "approve_extension", "dispatcher")
        order = reload(order)
        assert (order.extensions, order.due_at) == (2, datetime(2026, 12, 1, 12, 0))
        with pytest.raises(WorkflowError):
            act(city, order, "request_extension", "handler", reason="第三次")


def test_no_extension_once_overdue(city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
    with clock.frozen(datetime(2026, 11, 30, 13, 0)):
        with pytest.raises(WorkflowError):
            act(city, order, "request_extension", "handler", reason="晚了")


def test_suspension_pauses_the_clock_and_resumes_on_its_end_date(app, city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
        act(city, order, "request_suspension", "handler", reason="等预算", data={"until": "2026-12-07"})
        act(city, order, "approve_suspension", "dispatcher")
    order = reload(order)
    assert order.status == "suspended" and clocks.light(order, datetime(2026, 12, 5)) == ""
    with pytest.raises(WorkflowError):
        act(city, order, "report_handled", "handler", reason="x", photos=[photo(city.users["handler"], "blue")])
    with clock.frozen(datetime(2026, 12, 7, 0, 5)):
        from core.workorders.jobs import resume_suspended

        assert resume_suspended().params == {"n": 1}
    order = reload(order)
    assert order.status == "dispatched"
    # The 4 working hours had not started (suspended at 08:00 Monday); the clock resumes on Monday 7 Dec.
    assert order.due_at == datetime(2026, 12, 7, 12, 0)
    with pytest.raises(WorkflowError):
        act(city, order, "request_suspension", "handler", reason="again", data={"until": "2026-12-20"})


def test_a_suspension_whose_date_has_passed_cannot_be_approved(app, city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
        act(city, order, "request_suspension", "handler", reason="等预算", data={"until": "2026-12-01"})
    with clock.frozen(datetime(2026, 12, 3, 9, 0)):
        with pytest.raises(WorkflowError) as refused:
            act(city, order, "approve_suspension", "dispatcher")
        assert "2026-12-01" in refused.value.message
        assert reload(order).status == "dispatched"
        act(city, order, "refuse_suspension", "dispatcher", reason="期限已过")
    assert reload(order).suspension_requested_until is None


def test_a_stale_version_is_refused_naming_who_acted_first(city):
    order = report(city)
    version = order.version
    workflow.transition(
        order.id, "file", actor=city.users["shift_leader"], version=version, data={"standard": city.standard.id}
    )
    with pytest.raises(Conflict) as caught:
        workflow.transition(order.id, "void", actor=city.users["shift_leader"], version=version, reason="dup")
    assert "shift_leader" in caught.value.message
    assert reload(order).status == "filed"


def test_two_dispatchers_clicking_at_once_one_wins(app, city):
    order = report(city)
    act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    version = reload(order).version
    barrier, outcomes = threading.Barrier(2), []

    def click(department):
        with app.app_context(), db.connection_context():
            barrier.wait(timeout=10)
            try:
                workflow.transition(
                    order.id,
                    "dispatch",
                    actor=city.users["dispatcher"],
                    version=version,
                    data={"department": department},
                )
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=click, args=(d.id,)) for d in (city.sanitation, city.landscaping)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "won"]
    assert (
        WorkOrderEvent.select()
        .where((WorkOrderEvent.order == order.id) & (WorkOrderEvent.action == "dispatch"))
        .count()
        == 1
    )


def test_numbers_are_unique_under_concurrency(app, city):
    barrier, numbers = threading.Barrier(4), []

    def make():
        with app.app_context(), db.connection_context():
            barrier.wait(timeout=10)
            for _ in range(5):
                numbers.append(
                    workflow.create_order(city.users["collector"], "collector", description="x", grid=city.grid).number
                )

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(numbers) == 20 and len(set(numbers)) == 20


def test_lights_follow_the_handling_clock(city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = reload(to_dispatched(city, report(city)))
    assert clocks.light(order, datetime(2026, 11, 30, 11, 0)) == "green"  # 75 % used
    assert clocks.light(order, datetime(2026, 11, 30, 11, 30)) == "yellow"  # 87.5 %
    assert clocks.light(order, datetime(2026, 11, 30, 14, 30)) == "red"  # past noon + lunch


def test_supervision_reminds_the_departments_handlers_and_head_once(city):
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
    from core.workorders.jobs import supervise

    with clock.frozen(datetime(2026, 11, 30, 14, 30)):
        assert supervise().params == {"n": 2}
        assert supervise().params == {"n": 0}
    notes = list(Notification.select().where(Notification.kind == "overdue"))
    assert {note.user_id for note in notes} == {city.users["dept_head"].id, city.users["handler"].id}
    assert all(order.number in note.text for note in notes)


def test_a_new_deadline_brings_a_new_reminder_as_it_comes_near(city):
    from core.workorders.jobs import supervise

    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))  # 4 working hours: due 12:00
    with clock.frozen(datetime(2026, 11, 30, 11, 30)):
        assert supervise().params == {"n": 2}  # the handler and the head
        act(city, order, "request_extension", "handler", reason="需要更换设备")
        act(city, order, "approve_extension", "dispatcher")  # due 18:00, after lunch
        assert supervise().params == {"n": 0}  # 3.5 of 8 hours used: green again
    with clock.frozen(datetime(2026, 11, 30, 17, 0)):
        assert supervise().params == {"n": 2}
        assert supervise().params == {"n": 0}
    head = city.users["dept_head"]
    reminders = Notification.select().where((Notification.user == head) & (Notification.kind == "due-soon"))
    dues = [n.due for n in reminders.order_by(Notification.id)]
    assert dues == [datetime(2026, 11, 30, 12, 0), datetime(2026, 11, 30, 18, 0)]


def test_collectors_see_only_their_grids_and_departments_only_theirs(city):
    mine = report(city)
    elsewhere = workflow.create_order(city.users["other_collector"], "collector", description="x", grid=city.other_grid)
    visible = {o.id for o in scope.visible(city.users["collector"])}
    assert mine.id in visible and elsewhere.id not in visible
    to_dispatched(city, mine)
    assert scope.can_see(city.users["handler"], reload(mine))
    assert not scope.can_see(city.users["other_handler"], reload(mine))
    assert scope.can_see(city.users["leader"], reload(mine))


def test_workflow_rules_come_from_configuration(make_app):
    app = make_app(WORKFLOW={"max_extensions": 1})
    city = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
        act(city, order, "request_extension", "handler", reason="一次")
        act(city, order, "approve_extension", "dispatcher")
        with pytest.raises(WorkflowError):
            act(city, order, "request_extension", "handler", reason="两次")


def test_reminders_are_written_in_each_heads_language(city):
    from core.workorders.jobs import supervise

    english_head = city.users["dept_head"]
    english_head.language = "en"
    english_head.save()
    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        order = to_dispatched(city, report(city))
    with clock.frozen(datetime(2026, 11, 30, 14, 30)):
        supervise()
    text = Notification.get(Notification.user == english_head).text
    assert order.number in text and "2026-11-30 12:00" in text
    assert "deadline" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_resumed_timeline_says_in_the_installations_language_why(english_app):
    app = english_app
    city = build_city()
    with app.app_context(), db.connection_context():
        with clock.frozen(datetime(2026, 11, 30, 8, 0)):
            order = to_dispatched(city, report(city))
            act(city, order, "request_suspension", "handler", reason="等预算", data={"until": "2026-12-07"})
            act(city, order, "approve_suspension", "dispatcher")
        with app.test_request_context(headers={"Accept-Language": "zh-CN"}), clock.frozen(datetime(2026, 12, 7, 0, 5)):
            from core.workorders.jobs import resume_suspended

            resume_suspended()  # "run now" from a Chinese admin page writes the installation's language too
        event = WorkOrderEvent.select().where(WorkOrderEvent.action == "resume").get()
    assert event.actor_id is None and event.reason == "The suspension ended on 2026-12-07."


def test_the_heads_dashboard_counts_unread_reminders(app, city):
    from core.workorders.jobs import supervise

    with clock.frozen(datetime(2026, 11, 30, 8, 0)):
        to_dispatched(city, report(city))
    with clock.frozen(datetime(2026, 11, 30, 14, 30)):
        supervise()
    head = app.test_client()
    head.post("/login", data={"username": "dept_head", "password": "correct-horse-9"})
    home = head.get("/").get_data(as_text=True)
    assert 'id="my-notifications"' in home and 'badge red">1 ' in home.split('id="my-notifications"')[1][:200]
    head.post("/notifications")  # mark all as read
    home = head.get("/").get_data(as_text=True)
    assert "badge red" not in home.split('id="my-notifications"')[1][:200]
