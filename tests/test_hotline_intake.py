"""Hotline intake as operators work (issue 11, core/workorders/hotline.py and intake.py), over HTTP: an
anonymous call is taken (and no one is called back), the lists find a case by its caller's phone, a call
about a problem already open warns before saving and can merge the caller into that case (once, however
often the form is posted), and a closed case records its call-back."""

import re
from datetime import timedelta

import pytest

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.workorders import states
from core.workorders.models import CallBack, MergedCaller, WorkOrder, WorkOrderEvent
from tests.support import login
from tests.workorder_support import act, build_city, photo, report

KEY = re.compile(r'name="submission_key" value="([0-9a-f]{32})"')
LATITUDE, LONGITUDE = 29.370000, 113.130000
FIFTY_METRES = 0.00045  # of latitude


@pytest.fixture
def make_app(make_app):
    """These tests read the English messages."""
    return lambda **overrides: make_app(**{"BABEL_DEFAULT_LOCALE": "en", **overrides})


@pytest.fixture
def city(app):
    return build_city()


def client_for(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    client.post("/lang", data={"lang": "en"})
    return client


def in_db(app, fn):
    with app.app_context(), db.connection_context():
        return fn()


def key_on(client) -> str:
    match = KEY.search(client.get("/orders/intake").get_data(as_text=True))
    assert match
    return match.group(1)


def call(client, key=None, **changes):
    data = {
        "submission_key": key or key_on(client),
        "source": "hotline",
        "caller_name": "王先生",
        "caller_phone": "13912345678",
        "category": "0101",
        "description": "垃圾桶满溢",
        "grid": "430602001001001",
        "address": "洞庭路1号",
        "latitude": f"{LATITUDE:.6f}",
        "longitude": f"{LONGITUDE:.6f}",
    }
    data.update(changes)
    return client.post("/orders/intake", data=data)


def listed(client, q) -> list[str]:
    return re.findall(r'<a href="/orders/(\d+)">', client.get(f"/orders/?box=all&q={q}").get_data(as_text=True))


# --- (1) anonymous calls ----------------------------------------------------------------------------


def test_an_anonymous_call_is_taken_and_no_one_is_called_back(app, city):
    intake = client_for(app, "intake")
    taken = call(intake, caller_name="", caller_phone="")
    assert taken.status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    text = taken.get_data(as_text=True)
    assert order.tracking_code in text and 'id="anonymous"' in text
    assert order.caller_name == order.caller_phone == ""
    case_page = intake.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="anonymous-caller"' in case_page and "Anonymous: no call-back" in case_page

    in_db(app, lambda: close(city, order))
    closed_page = intake.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="call-back-form"' not in closed_page
    version = in_db(app, lambda: WorkOrder.get_by_id(order.id).version)
    refused = intake.post(f"/orders/{order.id}/call-back", data={"outcome": "satisfied", "version": version})
    assert refused.status_code == 422 and "no one to call back" in refused.get_data(as_text=True)
    assert in_db(app, lambda: CallBack.select().count()) == 0


# --- (2) the caller's phone in the lists ----------------------------------------------------------


def test_the_lists_find_a_case_by_its_callers_phone_for_the_centre_only(app, city):
    intake = client_for(app, "intake")
    assert call(intake, caller_phone="139 1234-5678", address="", latitude="", longitude="").status_code == 200
    in_db(app, lambda: report(city, address="别处"))  # another case, not to be found
    order = in_db(app, lambda: WorkOrder.get(WorkOrder.source == "hotline"))
    assert order.caller_phone == "13912345678"  # kept as digits, whatever the operator typed
    for typed in ("13912345678", "139+1234+5678", "5678"):
        assert listed(intake, typed) == [str(order.id)], typed
    assert listed(intake, "12") == []  # too short to be a phone number
    # a collector sees the case (it is in their grid) but not its caller: the phone finds nothing for them
    collector = client_for(app, "collector")
    assert str(order.id) in listed(collector, "")
    assert listed(collector, "13912345678") == []


# --- (3) the same problem, called in twice ------------------------------------------------------


def test_a_second_call_about_the_same_bin_50_m_away_merges_into_the_first_case(app, city):
    first_operator, second_operator = client_for(app, "intake"), client_for(app, "intake")
    assert call(first_operator).status_code == 200
    first = in_db(app, lambda: WorkOrder.get())

    key = key_on(second_operator)
    second_call = {
        "caller_name": "李女士",
        "caller_phone": "13700001111",
        "address": "洞庭路3号",  # another address: found by the distance
        "latitude": f"{LATITUDE + FIFTY_METRES:.6f}",
        "description": "路口的垃圾桶又满了",
    }
    warned = call(second_operator, key, **second_call)
    assert warned.status_code == 200
    text = warned.get_data(as_text=True)
    assert 'id="duplicates"' in text and first.number in text and "50 m away" in text
    assert f'name="merge_into" value="{first.id}"' in text and 'name="choice" value="new"' in text
    assert key in text  # the same form, the same key
    assert in_db(app, lambda: WorkOrder.select().count()) == 1  # nothing saved yet

    merged = call(second_operator, key, merge_into=str(first.id), **second_call)
    assert merged.status_code == 200
    done = merged.get_data(as_text=True)
    assert 'id="merged"' in done and first.tracking_code in done and first.number in done
    again = call(second_operator, key, merge_into=str(first.id), **second_call)  # the double click
    assert first.tracking_code in again.get_data(as_text=True)

    assert in_db(app, lambda: WorkOrder.select().count()) == 1
    callers = in_db(app, lambda: list(MergedCaller.select()))
    assert [(c.order_id, c.caller_phone, c.tracking_code) for c in callers] == [
        (first.id, "13700001111", first.tracking_code)
    ]
    event = in_db(app, lambda: WorkOrderEvent.get(WorkOrderEvent.action == "merge_caller"))
    assert event.order_id == first.id and event.data["callers"] == 2 and event.reason == second_call["description"]
    assert callers[0].event_id == event.id

    case_page = first_operator.get(f"/orders/{first.id}").get_data(as_text=True)
    section = case_page.split('id="callers"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="caller') == 2 and "王先生" in section and "李女士" in section
    timeline = case_page.split('class="timeline"', 1)[1]
    assert "Another caller reported the same problem and was added to this case (2 callers now)" in timeline
    # the second caller's phone finds the first case
    assert listed(first_operator, "13700001111") == [str(first.id)]
    # and the merge is in the audit log, as a sentence
    [entry] = in_db(app, lambda: list(AuditEntry.select().where(AuditEntry.action == "workorder.merge_caller")))
    assert (entry.object_id, entry.summary, entry.after["callers"]) == (str(first.id), first.number, 2)
    log = client_for(app, "admin").get("/admin/audit").get_data(as_text=True)
    assert "added a further caller to the case" in log and f">{first.number}</a>" in log


def test_saving_as_a_new_case_after_the_warning_makes_one_new_case(app, city):
    intake = client_for(app, "intake")
    assert call(intake).status_code == 200
    key = key_on(intake)
    assert 'id="duplicates"' in call(intake, key).get_data(as_text=True)
    for _ in range(2):  # the double click
        assert call(intake, key, choice="new").status_code == 200
    assert in_db(app, lambda: WorkOrder.select().count()) == 2
    assert in_db(app, lambda: MergedCaller.select().count()) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"latitude": f"{LATITUDE + 3 * FIFTY_METRES:.6f}", "address": "洞庭路9号"},  # 150 m away
        {"category": "0102"},  # another category (not in the catalogue: made below)
        {"latitude": "", "longitude": "", "address": "洞庭路9号"},  # no place to compare, another address
    ],
)
def test_no_warning_for_a_case_elsewhere_or_of_another_category(app, city, changes):
    from tests.workorder_support import other_category

    in_db(app, lambda: other_category(city))
    intake = client_for(app, "intake")
    assert call(intake).status_code == 200
    taken = call(intake, **changes)
    assert 'id="duplicates"' not in taken.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.select().count()) == 2


def test_the_same_address_warns_without_coordinates_and_only_for_recent_open_cases(app, city):
    intake = client_for(app, "intake")
    assert call(intake, latitude="", longitude="").status_code == 200
    first = in_db(app, lambda: WorkOrder.get())
    assert first.number in call(intake, latitude="", longitude="").get_data(as_text=True)
    in_db(
        app,
        lambda: WorkOrder.update(reported_at=clock.now() - timedelta(days=8)).where(WorkOrder.id == first.id).execute(),
    )
    assert 'id="duplicates"' not in call(intake, latitude="", longitude="").get_data(as_text=True)


def test_the_distance_is_configured(make_app):
    app = make_app(HOTLINE_DUPLICATE_METRES=30)
    build_city()
    intake = client_for(app, "intake")
    assert call(intake).status_code == 200
    taken = call(intake, latitude=f"{LATITUDE + FIFTY_METRES:.6f}", address="洞庭路3号")
    assert 'id="duplicates"' not in taken.get_data(as_text=True)


def test_merging_into_a_case_closed_meanwhile_keeps_the_form(app, city):
    intake = client_for(app, "intake")
    assert call(intake).status_code == 200
    first = in_db(app, lambda: WorkOrder.get())
    key = key_on(intake)
    in_db(app, lambda: act(city, first, "reject", "intake", reason="重复"))
    refused = call(intake, key, merge_into=str(first.id), description="又一次来电")
    assert refused.status_code == 422 and "又一次来电" in refused.get_data(as_text=True)
    assert in_db(app, lambda: MergedCaller.select().count()) == 0


# --- (4) the call-back ------------------------------------------------------------------------------


def close(city, order):
    act(city, order, "verify_true", "collector")
    act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id})
    act(city, order, "report_handled", "handler", reason="已清理", photos=[photo(city.users["handler"])])
    act(city, order, "check_pass", "collector")
    act(city, order, "close", "shift_leader")


def test_a_closed_hotline_case_records_its_call_back(app, city):
    intake = client_for(app, "intake")
    assert call(intake).status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    open_page = intake.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="call-back-form"' not in open_page  # not before it is closed
    version = in_db(app, lambda: WorkOrder.get_by_id(order.id).version)
    early = intake.post(f"/orders/{order.id}/call-back", data={"outcome": "satisfied", "version": version})
    assert early.status_code == 422

    in_db(app, lambda: close(city, order))
    closed_page = intake.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="call-back-form"' in closed_page
    version = in_db(app, lambda: WorkOrder.get_by_id(order.id).version)
    odd = intake.post(f"/orders/{order.id}/call-back", data={"outcome": "happy", "version": version})
    assert odd.status_code == 422 and "Say how the call-back went." in odd.get_data(as_text=True)
    assert (
        client_for(app, "collector").post(f"/orders/{order.id}/call-back", data={"outcome": "satisfied"}).status_code
        == 403
    )

    done = intake.post(
        f"/orders/{order.id}/call-back", data={"outcome": "not_satisfied", "note": "异味仍在", "version": version}
    )
    assert done.status_code == 302
    record = in_db(app, lambda: CallBack.get())
    assert (record.order_id, record.outcome, record.note, record.caller_id) == (
        order.id,
        "not_satisfied",
        "异味仍在",
        city.users["intake"].id,
    )
    event = in_db(app, lambda: WorkOrderEvent.get(WorkOrderEvent.action == "call_back"))
    assert event.data == {"outcome": "not_satisfied"} and record.event_id == event.id
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "closed"
    page = intake.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Not satisfied" in page.split('class="call-backs"', 1)[1] and "异味仍在" in page
    assert "Caller called back: Not satisfied" in page.split('class="timeline"', 1)[1]
    [entry] = in_db(app, lambda: list(AuditEntry.select().where(AuditEntry.action == "workorder.call_back")))
    assert (entry.object_id, entry.after["outcome"], entry.after["reason"]) == (
        str(order.id),
        "not_satisfied",
        "异味仍在",
    )
    # a second call-back on the stale version is refused: the page said version N, the case is N+1 now
    stale = intake.post(f"/orders/{order.id}/call-back", data={"outcome": "satisfied", "version": version})
    assert stale.status_code == 409
    assert states.ACTIONS["call_back"].sources == {"closed"}
