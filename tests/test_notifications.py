"""Notifications reach whoever must act next: one rule per event kind (core.workorders.notifications),
the centre when a department has no one, in the app and through the notify hook (unless the person
turned the kind off), after the case has committed."""

from datetime import datetime

import pytest

from core import clock
from core.db import db
from core.notifications.models import Notification, NotifyOptOut
from core.org import Department
from core.workorders import notifications, workflow
from core.workorders.models import WorkOrder, WorkOrderEvent
from tests.notification_support import MONDAY, record_notify
from tests.support import create_user, login
from tests.workorder_support import act, build_city, photo, report, to_dispatched


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(MONDAY):
        yield made


@pytest.fixture
def sent(monkeypatch):
    """Every notify call: (username, message, case number)."""
    return record_notify(
        monkeypatch, lambda kwargs: (kwargs["user"].username, kwargs["message"], kwargs["workorder"].number)
    )


def told(order, kind) -> set[str]:
    rows = Notification.select().where((Notification.subject_id == order.id) & (Notification.kind == kind))
    return {row.user.username for row in rows}


def last_event(order) -> WorkOrderEvent:
    return WorkOrderEvent.select().where(WorkOrderEvent.order == order.id).order_by(WorkOrderEvent.id.desc()).get()


def empty_department(code="municipal") -> Department:
    return Department.create(name="市政处", code=code, type="professional")


def filed(city):
    order = report(city)
    act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    return order


# (1) recipients, one rule per kind


def test_a_dispatch_tells_the_departments_handlers(city):
    order = to_dispatched(city, report(city))
    assert notifications.recipients(order, last_event(order))[0] == "dispatched"
    assert told(order, "dispatched") == {"handler"}  # the head hears of reminders, not of each case


def test_a_dispatch_to_a_department_with_only_a_head_tells_the_head(city):
    department = empty_department()
    create_user("municipal_head", "dept_head", department)
    order = filed(city)
    act(city, order, "dispatch", "dispatcher", data={"department": department.id})
    assert told(order, "dispatched") == {"municipal_head"}


def test_a_dispatch_to_a_department_with_no_one_tells_the_centre(city):
    department = empty_department()
    order = filed(city)
    act(city, order, "dispatch", "dispatcher", data={"department": department.id})
    # the dispatcher who sent it is not told of their own act; the shift leader takes it up
    assert told(order, "dispatched") == {"shift_leader"}


def test_a_rework_tells_the_departments_handlers(city):
    order = to_dispatched(city, report(city))
    act(city, order, "report_handled", "handler", reason="已清理", data={"photos": [photo(city.users["handler"]).id]})
    act(city, order, "check_fail", "collector", reason="仍有垃圾")
    assert notifications.recipients(WorkOrder.get_by_id(order.id), last_event(order))[0] == "rework"
    rows = Notification.select().where((Notification.subject_id == order.id) & (Notification.kind == "rework"))
    assert [(row.user.username, "仍有垃圾" in row.text) for row in rows] == [("handler", True)]


def test_a_return_tells_the_dispatcher_who_sent_it(city):
    other_dispatcher = create_user("dispatcher2", "dispatcher", city.sanitation)
    order = to_dispatched(city, report(city))
    act(city, order, "return", "handler", reason="不属于本单位")
    assert told(order, "returned") == {"dispatcher"}
    assert other_dispatcher.username not in told(order, "returned")
    note = Notification.get(Notification.kind == "returned")
    assert "环卫处" in note.text and "不属于本单位" in note.text


def test_a_return_whose_dispatcher_has_left_tells_every_dispatcher_else_the_centre(city):
    order = to_dispatched(city, report(city))
    city.users["dispatcher"].active = False
    city.users["dispatcher"].save()
    act(city, order, "return", "handler", reason="不属于本单位")
    assert told(order, "returned") == {"shift_leader"}  # no dispatcher left: the centre


@pytest.mark.parametrize(
    "action, data, words",
    [("request_extension", {}, "extension"), ("request_suspension", {"until": "2026-12-07"}, "suspend")],
)
def test_a_request_tells_the_approvers(make_app, action, data, words):
    app = make_app(BABEL_DEFAULT_LOCALE="en")
    city = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(MONDAY):
        for user in city.users.values():
            user.language = "en"
            user.save()
        order = to_dispatched(city, report(city))
        act(city, order, action, "handler", reason="等材料", data=data)
        assert told(order, "request") == {"dispatcher", "shift_leader"}
        assert all(words in row.text for row in Notification.select().where(Notification.kind == "request"))


def test_a_report_to_verify_tells_the_grids_collectors(city):
    order = workflow.create_order(
        city.users["intake"], "hotline", description="噪音", grid=city.grid, caller_phone="139"
    )
    assert order.status == "to_verify"
    assert notifications.recipients(order) == ("verify", [city.users["collector"]])
    assert told(order, "verify") == {"collector"}  # not the other grid's collector


def test_a_report_to_verify_in_a_grid_nobody_patrols_tells_the_centre(city):
    from core.responsibility.models import GridAssignment

    GridAssignment.delete().execute()
    order = workflow.create_order(
        city.users["intake"], "hotline", description="噪音", grid=city.grid, caller_phone="139"
    )
    assert told(order, "verify") == {"dispatcher", "shift_leader"}


def test_a_report_on_patrol_asks_nothing_of_anyone(city):
    order = report(city)  # the collector's own grid: straight to filing
    assert notifications.recipients(order) == (None, [])
    assert Notification.select().count() == 0


def test_a_supervision_note_tells_the_departments_handlers_and_head(city):
    order = to_dispatched(city, report(city))
    act(city, order, "supervise", "leader", reason="群众反映强烈，尽快处理")
    assert told(order, "supervision") == {"handler", "dept_head"}
    assert all("群众反映强烈" in r.text for r in Notification.select().where(Notification.kind == "supervision"))


def test_a_supervision_note_before_dispatch_tells_the_centre_but_not_its_writer(city):
    order = filed(city)
    act(city, order, "supervise", "shift_leader", reason="尽快派遣")
    assert told(order, "supervision") == {"dispatcher"}


def test_reminders_of_a_case_at_a_department_with_no_one_reach_the_centre(city):
    from core.workorders.jobs import supervise

    department = empty_department()
    order = filed(city)
    act(city, order, "dispatch", "dispatcher", data={"department": department.id})
    with clock.frozen(datetime(2026, 11, 30, 14, 30)):
        assert supervise().params == {"n": 2}
    assert told(order, "overdue") == {"dispatcher", "shift_leader"}


def test_accepting_a_case_tells_no_one(city):
    order = to_dispatched(city, report(city))
    before = Notification.select().count()
    act(city, order, "accept", "handler")
    assert Notification.select().count() == before


# (2)–(4) written, sent on, chosen; never undoing the case


def test_each_notification_is_sent_on_through_notify_unless_its_kind_is_turned_off(city, sent):
    NotifyOptOut.create(user=city.users["dept_head"], kind="supervision")
    order = to_dispatched(city, report(city))
    act(city, order, "supervise", "leader", reason="尽快")
    assert told(order, "supervision") == {"handler", "dept_head"}  # both in the app
    assert [(user, number) for user, _message, number in sent] == [("handler", order.number)] * 2
    assert (
        sent[1][1]
        == Notification.get(Notification.kind == "supervision", Notification.user == city.users["handler"]).text
    )


def test_a_failing_routing_never_undoes_the_case(city, monkeypatch):
    def broken(order, event=None):
        raise RuntimeError("no routing today")

    monkeypatch.setattr(notifications, "deliveries", broken)
    order = to_dispatched(city, report(city))
    assert WorkOrder.get_by_id(order.id).status == "dispatched"
    assert Notification.select().count() == 0


def test_nothing_is_written_when_the_case_rolls_back(city):
    with pytest.raises(RuntimeError), db.atomic():
        to_dispatched(city, report(city))
        raise RuntimeError("the caller fails after the dispatch")
    assert Notification.select().count() == 0


# pages


def test_the_header_badge_counts_unread_and_opening_one_marks_it_read(app, city):
    order = to_dispatched(city, report(city))
    act(city, order, "supervise", "leader", reason="尽快")
    client = app.test_client()
    login(client, "handler")
    inbox = client.get("/orders/").get_data(as_text=True)
    badge = inbox.split('id="header-notifications"')[1][:200]
    assert 'badge red">2<' in badge
    page = client.get("/notifications").get_data(as_text=True)
    assert order.number in page and "尽快" in page
    note = Notification.get(Notification.kind == "supervision", Notification.user == city.users["handler"])
    opened = client.post("/notifications", data={"note": note.id})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/orders/{order.id}")
    assert Notification.get_by_id(note.id).read
    assert 'badge red">1<' in client.get("/orders/").get_data(as_text=True).split('id="header-notifications"')[1][:200]
    client.post("/notifications")
    assert "badge" not in client.get("/orders/").get_data(as_text=True).split('id="header-notifications"')[1][:120]


def test_one_cannot_mark_someone_elses_notification_and_a_bad_id_loses_nothing(app, city):
    to_dispatched(city, report(city))
    note = Notification.get(Notification.user == city.users["handler"])
    client = app.test_client()
    login(client, "dept_head")
    for value in (note.id, "abc", "-1", "99999999999999999999", ""):
        if value == "":
            continue  # an empty note is "mark all": the head's own
        response = client.post("/notifications", data={"note": value})
        assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    assert not Notification.get_by_id(note.id).read


def test_a_person_chooses_which_kinds_go_outside_the_app(app, city):
    client = app.test_client()
    login(client, "handler")
    from core.notifications.views import kinds

    known = set(kinds())  # every subject's kinds: the cases' and the plugins' (zombie cars)
    assert set(notifications.KINDS) | {"zombie-merge", "zombie-early-tow"} <= known
    form = client.get("/notifications/choices").get_data(as_text=True)
    assert form.count('type="checkbox"') == len(known) and form.count("checked") == len(known)
    response = client.post("/notifications/choices", data={"outside": ["dispatched", "overdue", "nonsense"]})
    assert response.status_code == 302
    off = {row.kind for row in NotifyOptOut.select().where(NotifyOptOut.user == city.users["handler"])}
    assert off == known - {"dispatched", "overdue"}
    form = client.get("/notifications/choices").get_data(as_text=True)
    assert form.count("checked") == 2
