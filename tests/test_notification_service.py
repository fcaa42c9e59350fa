"""core.notifications' notify(): recipients by role or permission within a department, a party's contact
(told through the notify hook and the sent log only), each person once and opt-outs kept, and subjects
other than cases (their link from the notification_subjects hook)."""

from datetime import datetime

import pytest

from core import clock
from core.db import db
from core.notifications.models import ContactNotice, Notification, NotifyOptOut
from core.notifications.recipients import Recipient
from core.notifications.service import notify
from tests.notification_support import MONDAY, record_notify
from tests.support import login
from tests.workorder_support import build_city


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(MONDAY):
        yield made


@pytest.fixture
def fired(monkeypatch):
    """Every notify hook call's arguments."""
    return record_notify(monkeypatch)


def told(kind) -> set[str]:
    return {row.user.username for row in Notification.select().where(Notification.kind == kind)}


def test_a_permission_or_a_role_within_a_department_reaches_only_its_people(city):
    notify(None, [Recipient.permission("workorder.handle", department=city.sanitation)], "handle", "请处理")
    assert told("handle") == {"handler", "dept_head"}  # not other_handler, at landscaping
    notify(None, [Recipient.role("dept_head", department=city.sanitation.id)], "heads", "请审核")
    assert told("heads") == {"dept_head"}
    notify(None, [Recipient.or_centre(Recipient.role("dept_head", department=city.landscaping))], "nobody", "x")
    assert told("nobody") == {user.username for user in Recipient.centre().users()} != set()


def test_a_party_contact_is_told_through_the_hook_and_the_sent_log_never_as_a_user(city, fired):
    users_before = Notification.select().count()
    count = notify(("workorder", 5), [Recipient.contact(" 13800000000 ", name="张三")], "owner", "请挪车")
    assert count == 1
    assert Notification.select().count() == users_before  # no row of anyone's notifications
    [logged] = ContactNotice.select()
    assert (logged.contact, logged.name, logged.subject_kind, logged.subject_id, logged.text) == (
        "13800000000", "张三", "workorder", 5, "请挪车",
    )  # fmt: skip
    assert [(call["user"], call["contact"], call["message"]) for call in fired] == [(None, "13800000000", "请挪车")]


def test_each_person_is_told_once_and_an_opt_out_keeps_them_off_the_hook(city, fired):
    handler, head = city.users["handler"], city.users["dept_head"]
    NotifyOptOut.create(user=head, kind="merge")
    recipients = [
        handler,
        Recipient.user(handler),
        Recipient.permission("workorder.handle", department=city.sanitation),
    ]
    assert notify(None, recipients, "merge", lambda user: f"给{user.username}") == 2
    assert sorted(n.text for n in Notification.select().where(Notification.kind == "merge")) == [
        "给dept_head",
        "给handler",
    ]
    assert [call["user"].username for call in fired] == ["handler"]  # the head turned "merge" off outside the app
    due = datetime(2026, 12, 1, 17, 0)
    assert notify(("workorder", 9), [handler], "due-soon", "快到期", due=due) == 1
    assert notify(("workorder", 9), [handler, head], "due-soon", "快到期", due=due) == 1  # the handler was told already
    assert told("due-soon") == {"handler", "dept_head"}


def test_a_notification_about_another_subject_opens_that_subjects_page(app, city, fired):
    notify(("zombie_car", 7), [city.users["dispatcher"]], "zombie-merge", "请合并")
    note = Notification.get(Notification.kind == "zombie-merge")
    assert (note.subject_kind, note.subject_id) == ("zombie_car", 7)
    assert fired[0]["workorder"] is None and fired[0]["subject"] == ("zombie_car", 7)
    client = app.test_client()
    login(client, "dispatcher")
    response = client.post("/notifications", data={"note": note.id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/campaigns/zombie-cars/7")
    assert Notification.get_by_id(note.id).read


def test_a_subject_kind_nobody_registered_is_refused(city):
    with pytest.raises(ValueError):
        notify(object(), [city.users["handler"]], "x", "y")
