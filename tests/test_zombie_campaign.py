"""Issue 11's zombie-car campaign as the bureau ran it: owners (kept from users without the permission),
structured contacts and their figures by district, the tow job keeping a promised date, early tows for
refusing owners with the shift leader's approval, closed survey rounds and their completeness, joint
clearance actions for advertising cars, and notice deadlines on the working-time calendar."""

import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.notifications.models import Notification
from core.plugins import PluginHost
from core.workorders.models import WorkOrder
from plugins.zombie_cars import contacts, joint, owners, rounds, service, towing
from plugins.zombie_cars.models import EarlyTowRequest, JointAction, JointVehicle, Notice, SurveyRound, Vehicle
from tests.support import client_for, in_db
from tests.zombie_support import load_demo_calendar, register, reload, zombie_city

MONDAY = datetime(2026, 11, 2, 9, 0)
ID_NUMBER = "11010519491231002X"  # the standard's own example
OTHER_ID = "430602198001011230"


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


@pytest.fixture
def city(app):
    return zombie_city()


def call(city, vehicle, result, on=date(2026, 11, 3), promised_on=None, note=""):
    return contacts.add_contact(
        vehicle, city.users["collector"], contacted_on=on, caller="刘洋", result=result, note=note,
        promised_on=promised_on,
    )  # fmt: skip


# --- owners ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", [ID_NUMBER, "11010519491231002x", "440524188001010014", OTHER_ID, " 4306021980 01011230 "]
)
def test_id_numbers_with_their_check_digit_are_accepted(app, number):
    with app.test_request_context():
        assert owners.validate_id_number(number) == number.replace(" ", "").upper()


@pytest.mark.parametrize(
    "number, says",
    [
        ("110105194912310021", "last character"),  # the check digit is X
        ("430602198001011234", "last character"),
        ("11010519491331002X", "date of birth"),  # month 13
        ("1101051949123100", "18 characters"),
        ("11010519491231002Y", "18 characters"),
    ],
)
def test_bad_id_numbers_are_refused_with_what_is_wrong(app, number, says):
    with app.test_request_context(), pytest.raises(owners.OwnerError) as refused:
        owners.validate_id_number(number)
    assert says in str(refused.value.message)


def test_owners_are_masked():
    assert owners.mask_name("张三") == "张*" and owners.mask_name("欧阳娜娜") == "欧***"
    assert owners.mask_phone("13812341234") == "138****1234"
    assert owners.mask_id_number("430602198001011234") == "4306**********1234"


def test_the_owner_is_shown_in_full_only_with_the_permission_and_never_in_lists_maps_or_json(app, city):
    vehicle = in_db(app, lambda: register(city, longitude=113.13, latitude=29.37))
    dispatcher, collector = client_for(app, "dispatcher"), client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{vehicle.id}"
    bad = dispatcher.post(url + "/owner", data={"owner_name": "张三", "owner_phone": "138", "owner_id_number": "123"})
    assert bad.status_code == 422 and "11 digits" in bad.get_data(as_text=True)
    assert in_db(app, lambda: reload(vehicle).owner_name) == ""
    assert collector.post(url + "/owner", data={"owner_name": "李四"}).status_code == 403
    saved = dispatcher.post(
        url + "/owner", data={"owner_name": "张三", "owner_phone": "138 1234 1234", "owner_id_number": OTHER_ID}
    )
    assert saved.status_code == 303
    assert in_db(app, lambda: reload(vehicle).owner_phone) == "13812341234"

    full = dispatcher.get(url).get_data(as_text=True)
    assert "张三" in full and "13812341234" in full and OTHER_ID in full
    masked = collector.get(url).get_data(as_text=True)
    assert "张*" in masked and "138****1234" in masked and "4306**********1230" in masked
    assert "张三" not in masked and "13812341234" not in masked and OTHER_ID not in masked
    for client in (dispatcher, collector):
        for page in ("/campaigns/zombie-cars/", "/campaigns/zombie-cars/map.geojson", "/campaigns/zombie-cars/joint"):
            text = client.get(page).get_data(as_text=True)
            for leak in ("张三", "张*", "13812341234", "138****", OTHER_ID, "4306**"):
                assert leak not in text, (page, leak)
    entry = in_db(app, lambda: AuditEntry.get(AuditEntry.action == "zombie_cars.owner"))
    logged = json.dumps([entry.before, entry.after], ensure_ascii=False)
    assert "张*" in logged and "13812341234" not in logged and OTHER_ID not in logged

    def export(client):
        book = openpyxl.load_workbook(io.BytesIO(client.get("/campaigns/zombie-cars/export.xlsx").data))
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        row = [cell.value for cell in sheet[2]]
        return [row[header.index(name)] for name in ("Vehicle owner", "Owner's phone", "Owner's ID number")]

    assert export(dispatcher) == ["张三", "13812341234", OTHER_ID]
    assert export(collector) == ["张*", "138****1234", "4306**********1230"]


# --- contacts and figures ----------------------------------------------------------------------------


def test_a_contact_has_a_structured_result_and_agreeing_needs_a_date(app, city):
    vehicle = in_db(app, lambda: register(city))
    collector = client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{vehicle.id}/contacts"
    base = {"contacted_on": "2026-11-03", "caller": "刘洋"}
    assert collector.post(url, data={**base, "result": "maybe"}).status_code == 422
    no_date = collector.post(url, data={**base, "result": "agreed"})
    assert no_date.status_code == 422 and "agreed to move the vehicle by" in no_date.get_data(as_text=True)
    early = collector.post(url, data={**base, "result": "agreed", "promised_on": "2026-11-01"})
    assert early.status_code == 422
    assert collector.post(url, data={**base, "result": "wrong_number", "promised_on": "2026-11-09",
                                     "note": "号码是空号"}).status_code == 303  # fmt: skip
    contact = in_db(app, lambda: vehicle.contacts.get())
    assert contact.result == "wrong_number" and contact.promised_on is None and contact.outcome == "号码是空号"
    page = collector.get(f"/campaigns/zombie-cars/{vehicle.id}").get_data(as_text=True)
    assert "Wrong number" in page and "号码是空号" in page


def test_the_figures_count_surveyed_contacted_reached_moved_and_towed_by_district(app, city):
    def setup():
        moved = register(city)
        call(city, moved, "agreed", promised_on=date(2026, 11, 5))
        service.set_outcome(moved, "moved", city.users["collector"])
        unreachable = register(city, plate="湘F54321")
        call(city, unreachable, "unreachable")
        refused = register(city, plate="湘F11111", grid=city.far_grid.id)
        call(city, refused, "unreachable")
        call(city, refused, "refused", on=date(2026, 11, 4))
        register(city, plate="湘F22222", grid=city.far_grid.id)
        register(city, plate="湘F33333", grid=None)
        return contacts.figures(Vehicle.select())

    figures = in_db(app, setup)
    assert figures["total"] == {"surveyed": 5, "contacted": 3, "reached": 2, "moved": 1, "towed": 0}
    districts = dict(figures["districts"])
    assert districts["岳阳楼区"] == {"surveyed": 2, "contacted": 2, "reached": 1, "moved": 1, "towed": 0}
    assert districts["云溪区"] == {"surveyed": 2, "contacted": 1, "reached": 1, "moved": 0, "towed": 0}
    assert districts["No district"]["surveyed"] == 1
    page = client_for(app, "dispatcher").get("/campaigns/zombie-cars/").get_data(as_text=True)
    table = page.split('id="contact-figures"')[1].split("</table>")[0]
    assert "岳阳楼区" in table and "云溪区" in table and "Moved voluntarily" in table
    assert '<th data-figure="contacted">3</th>' in table
    book = openpyxl.load_workbook(
        io.BytesIO(client_for(app, "dispatcher").get("/campaigns/zombie-cars/export.xlsx").data)
    )
    summary = {row[0]: row[1:] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True) if row[0]}
    assert summary["Contacted"][0] == 3 and summary["Reached"][0] == 2
    assert summary["云溪区"][:5] == (2, 1, 1, 0, 0)


# --- the tow job and a promised date -----------------------------------------------------------------


def test_the_tow_job_waits_for_a_promised_date_later_than_the_deadline(app, city):
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
            call(city, vehicle, "agreed", promised_on=date(2026, 11, 12))
        assert notice.deadline == date(2026, 11, 9)
        with clock.frozen(datetime(2026, 11, 10, 6, 30)):  # the day after the deadline
            summary = towing.tow_overdue()
            assert summary.params["n"] == 0 and summary.params["held"] == 1
        with clock.frozen(datetime(2026, 11, 12, 6, 30)):  # the promised day itself is still the owner's
            assert towing.tow_overdue().params["n"] == 0
        assert WorkOrder.select().count() == 0 and reload(vehicle).stage == "notified"
        with clock.frozen(datetime(2026, 11, 13, 6, 30)):  # the day after it
            assert towing.tow_overdue().params["n"] == 1
        assert reload(notice).tow_order is not None and reload(vehicle).stage == "tow_ordered"


def test_a_refusal_after_a_promise_takes_the_promise_back(app, city):
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            service.notify(vehicle, city.users["dispatcher"])
            call(city, vehicle, "agreed", promised_on=date(2026, 11, 20))
            call(city, vehicle, "unreachable", on=date(2026, 11, 4))  # reaching no one changes nothing
            assert contacts.promised_on(vehicle.id) == date(2026, 11, 20)
            call(city, vehicle, "refused", on=date(2026, 11, 5))
        with clock.frozen(datetime(2026, 11, 10, 6, 30)):
            assert towing.tow_overdue().params["n"] == 1


# --- early tows --------------------------------------------------------------------------------------


def test_a_refusing_owners_car_is_towed_early_once_the_shift_leader_approves(app, city):
    with clock.frozen(MONDAY):
        vehicle = in_db(app, lambda: register(city))
        in_db(app, lambda: service.notify(vehicle, city.users["dispatcher"]))
        collector = client_for(app, "collector")
        url = f"/campaigns/zombie-cars/{vehicle.id}"
        not_yet = collector.post(url + "/early-tow", data={"reason": "占用消防通道"})
        assert not_yet.status_code == 409 and "who refused" in not_yet.get_data(as_text=True)
        in_db(app, lambda: call(city, vehicle, "refused"))
        assert collector.post(url + "/early-tow", data={"reason": ""}).status_code == 422
        assert collector.post(url + "/early-tow", data={"reason": "占用消防通道"}).status_code == 303
        assert collector.post(url + "/early-tow", data={"reason": "again"}).status_code == 409
        told = in_db(app, lambda: list(Notification.select().where(Notification.kind == "zombie-early-tow")))
        assert [n.user_id for n in told] == [city.users["shift_leader"].id]

        assert (
            client_for(app, "dispatcher").post(url + "/early-tow/decision", data={"decision": "approve"}).status_code
            == 403
        )
        shift = client_for(app, "shift_leader")
        assert "early-tow-decision" in shift.get(url).get_data(as_text=True)
        assert shift.post(url + "/early-tow/decision", data={"decision": "approve", "note": "同意"}).status_code == 303

    def check():
        notice = Notice.get(Notice.vehicle == vehicle.id)
        order = notice.tow_order
        assert order is not None and order.status == "dispatched" and order.department_id == city.parking.id
        assert "批准提前拖移" in order.description and notice.deadline == date(2026, 11, 9)
        assert reload(vehicle).stage == "tow_ordered" and notice.status == "expired"
        request = EarlyTowRequest.get()
        assert request.status == "approved" and request.decided_by_id == city.users["shift_leader"].id
        actions = [
            e.action for e in AuditEntry.select().where(AuditEntry.object_type == "zombie_car").order_by(AuditEntry.id)
        ]
        assert actions[-3:] == [
            "zombie_cars.early_tow_request",
            "zombie_cars.early_tow_approve",
            "zombie_cars.tow_order",
        ]

    in_db(app, check)


def test_an_early_tow_request_reaches_the_approvers_outside_the_app_too(app, city, monkeypatch):
    """Through core.api's tell(): the notify hook (SMS, messaging apps) hears of it, with no case yet."""
    sent = []
    original = PluginHost.fire

    def fire(self, hook_name, **kwargs):
        if hook_name == "notify":
            sent.append((kwargs["user"].username, kwargs["message"], kwargs["workorder"]))
        return original(self, hook_name, **kwargs)

    monkeypatch.setattr(PluginHost, "fire", fire)

    def setup():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            service.notify(vehicle, city.users["dispatcher"])
            call(city, vehicle, "refused")
            towing.request_early_tow(vehicle, city.users["collector"], "占用消防通道")
        return vehicle

    vehicle = in_db(app, setup)
    assert [(who, order) for who, _text, order in sent] == [("shift_leader", None)]
    assert "批准或驳回" in sent[0][1] and f"/campaigns/zombie-cars/{vehicle.id}" in sent[0][1]  # in their language


def test_an_early_tow_is_decided_by_someone_else_and_can_be_rejected(app, city):
    def setup():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            service.notify(vehicle, city.users["dispatcher"])
            call(city, vehicle, "refused")
            towing.request_early_tow(vehicle, city.users["shift_leader"], "拒不移车")
        return vehicle

    vehicle = in_db(app, setup)
    with app.test_request_context(), db.connection_context(), pytest.raises(service.CampaignError) as own:
        towing.decide_early_tow(vehicle, city.users["shift_leader"], True)
    assert own.value.status == 403
    in_db(app, lambda: towing.decide_early_tow(vehicle, city.users["admin"], False, "再联系一次"))
    assert in_db(app, lambda: (EarlyTowRequest.get().status, WorkOrder.select().count())) == ("rejected", 0)
    assert (
        in_db(app, lambda: AuditEntry.select().where(AuditEntry.action == "zombie_cars.early_tow_reject").count()) == 1
    )


# --- survey rounds -----------------------------------------------------------------------------------


def test_notices_wait_for_the_round_to_close_and_the_page_names_the_districts_missing(app, city):
    def setup():
        survey = SurveyRound.create(name="第一轮摸底", started_on=date(2026, 11, 1))
        return survey, register(city, survey_round=survey.id)

    survey, vehicle = in_db(app, setup)
    collector = client_for(app, "collector")
    refused = collector.post(f"/campaigns/zombie-cars/{vehicle.id}/notify")
    assert refused.status_code == 409 and "第一轮摸底 is still open" in refused.get_data(as_text=True)
    assert in_db(app, lambda: Notice.select().count()) == 0
    assert 'id="round-open"' in collector.get(f"/campaigns/zombie-cars/{vehicle.id}").get_data(as_text=True)

    page = collector.get("/campaigns/zombie-cars/rounds").get_data(as_text=True)
    row = page.split(f'data-round="{survey.id}"')[1].split("</tr>")[0]
    assert "1 / 2" in row and "None surveyed in: 云溪区" in row and "岳阳楼区" not in row
    assert in_db(app, lambda: rounds.completeness(survey)) == {"covered": ["岳阳楼区"], "missing": ["云溪区"]}

    assert client_for(app, "leader").post(f"/campaigns/zombie-cars/rounds/{survey.id}/close").status_code == 403
    closed = collector.post(f"/campaigns/zombie-cars/rounds/{survey.id}/close")
    assert closed.status_code == 303
    assert "no vehicle was surveyed in: 云溪区" in collector.get("/campaigns/zombie-cars/rounds").get_data(as_text=True)
    assert collector.post(f"/campaigns/zombie-cars/rounds/{survey.id}/close").status_code == 409
    assert collector.post("/campaigns/zombie-cars/rounds/99999/close").status_code == 404
    entry = in_db(app, lambda: AuditEntry.get(AuditEntry.action == "zombie_cars.round_close"))
    assert entry.after["missing"] == ["云溪区"]
    assert collector.post(f"/campaigns/zombie-cars/{vehicle.id}/notify").status_code == 303


# --- deadlines on the working-time calendar ----------------------------------------------------------


@pytest.mark.parametrize(
    "issued, deadline",
    [
        (date(2026, 11, 2), date(2026, 11, 9)),  # a Monday: a working day, as before
        (date(2026, 11, 7), date(2026, 11, 16)),  # + 7 = Saturday 14th → Monday 16th
        (date(2026, 9, 24), date(2026, 10, 8)),  # + 7 = 1 October, 国庆节 to the 7th → Thursday the 8th
        (date(2026, 10, 3), date(2026, 10, 10)),  # + 7 = Saturday 10 October, a make-up working day: stays
        (date(2026, 12, 25), date(2027, 1, 1)),  # 2027 holidays not imported: 1 January is a Friday like any other
    ],
)
def test_a_deadline_falling_on_a_day_off_moves_to_the_next_working_day(app, city, issued, deadline):
    with app.test_request_context(), db.connection_context():
        load_demo_calendar()
        assert service.deadline_for(issued) == deadline


def test_the_notice_says_when_its_last_day_moved(app, city):
    with app.test_request_context(), db.connection_context():
        load_demo_calendar()
        vehicle = register(city)
        notice = service.notify(vehicle, city.users["dispatcher"], issued_on=date(2026, 9, 24))
    assert notice.deadline == date(2026, 10, 8) and notice.days == 7
    text = (
        client_for(app, "dispatcher")
        .get(f"/campaigns/zombie-cars/{vehicle.id}/notices/{notice.id}")
        .get_data(as_text=True)
    )
    assert "October 8, 2026" in text and "first working day after it" in text


# --- advertising cars --------------------------------------------------------------------------------


def test_an_advertising_cars_notice_rests_on_the_advertising_rules(make_app):
    app = make_app(ZOMBIE_ADVERTISING_LEGAL_BASIS="依据户外广告条例第十条。")
    city = zombie_city()

    def setup():
        plain = service.notify(register(city), city.users["dispatcher"])
        advert = service.notify(register(city, plate="湘F54321", advertising=True), city.users["dispatcher"])
        return plain, advert

    plain, advert = in_db(app, setup)
    assert "道路交通安全法" in plain.legal_basis and advert.legal_basis == "依据户外广告条例第十条。"
    page = client_for(app, "dispatcher").get(f"/campaigns/zombie-cars/{advert.vehicle_id}/notices/{advert.id}")
    assert "依据户外广告条例第十条。" in page.get_data(as_text=True)


def test_a_joint_clearance_action_records_one_result_per_advertising_car(app, city):
    def setup():
        cars = [register(city, plate=p, advertising=True) for p in ("湘F10001", "湘F10002", "湘F10003")]
        plain = register(city, plate="湘F10004")
        far = register(city, plate="湘F10005", advertising=True, grid=city.far_grid.id)
        Vehicle.update(reported_by=city.users["admin"]).where(Vehicle.id == far.id).execute()  # not the collector's
        with clock.frozen(MONDAY):
            notice = service.notify(cars[1], city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 10, 7, 0)):
            towing.tow_overdue()
        return cars, plain, far, reload(notice).tow_order_id

    cars, plain, far, order_id = in_db(app, setup)
    dispatcher = client_for(app, "dispatcher")
    listing = dispatcher.get("/campaigns/zombie-cars/joint").get_data(as_text=True)
    assert "湘F10001" in listing and "湘F10004" not in listing and "户外广告" in listing
    data = {
        "name": "广告车联合整治", "action_on": "2026-11-12", "team": "执法二中队、交警大队",
        "departments": [city.parking.id], "vehicles": [cars[0].id, cars[1].id, cars[2].id, plain.id, far.id],
        "legal_basis": "",
    }  # fmt: skip
    assert dispatcher.post("/campaigns/zombie-cars/joint", data={**data, "vehicles": []}).status_code == 422
    assert dispatcher.post("/campaigns/zombie-cars/joint", data={**data, "vehicles": ["x"]}).status_code == 422
    made = dispatcher.post("/campaigns/zombie-cars/joint", data=data)
    assert made.status_code == 303
    action = in_db(app, lambda: JointAction.get())
    linked = in_db(app, lambda: {link.vehicle_id for link in action.vehicle_links})
    assert linked == {cars[0].id, cars[1].id, cars[2].id, far.id}  # the plain car is not an advertising one
    assert "户外广告" in action.legal_basis

    base = f"/campaigns/zombie-cars/joint/{action.id}/vehicles/"
    assert dispatcher.post(base + str(cars[0].id), data={"result": "cleared"}).status_code == 303
    assert dispatcher.post(base + str(cars[0].id), data={"result": "not_found"}).status_code == 409
    needs_photo = dispatcher.post(base + str(cars[1].id), data={"result": "owner_moved"})
    assert needs_photo.status_code == 422 and "photo" in needs_photo.get_data(as_text=True)
    from tests.workorder_support import jpeg

    moved = dispatcher.post(
        base + str(cars[1].id),
        data={"result": "owner_moved", "photo": (io.BytesIO(jpeg("white", (640, 480))), "e.jpg")},
    )
    assert moved.status_code == 303
    assert dispatcher.post(base + str(cars[2].id), data={"result": "not_found"}).status_code == 303
    assert dispatcher.post(base + str(plain.id), data={"result": "cleared"}).status_code == 404

    def check():
        assert (
            reload(cars[0]).stage == "towed"
            and reload(cars[1]).stage == "moved"
            and reload(cars[2]).stage == "surveyed"
        )
        order = WorkOrder.get_by_id(order_id)
        assert order.status == "closed" and order.events.order_by(-WorkOrder.id).count() > 0
        assert joint.tally(action) == {"cleared": 1, "owner_moved": 1, "not_found": 1, "": 1}
        assert JointVehicle.get(JointVehicle.vehicle == far.id).result == ""

    in_db(app, check)
    page = dispatcher.get(f"/campaigns/zombie-cars/joint/{action.id}").get_data(as_text=True)
    assert "Cleared by the team" in page and "停车管理办公室" in page and "湘F10005" in page
    # the collector sees the cars of their grid, not the one in the other district
    theirs = client_for(app, "collector").get(f"/campaigns/zombie-cars/joint/{action.id}").get_data(as_text=True)
    assert "湘F10001" in theirs and "湘F10005" not in theirs
    assert client_for(app, "collector").post(base + str(far.id), data={"result": "cleared"}).status_code == 404
    assert client_for(app, "leader").post(base + str(cars[2].id), data={"result": "cleared"}).status_code == 403


def test_the_demo_shows_owners_contacts_a_promise_an_early_tow_and_a_joint_action(demo_app):
    with demo_app.app_context(), db.connection_context():
        assert Vehicle.select().where(Vehicle.owner_id_number != "").count() >= 20
        for vehicle in Vehicle.select().where(Vehicle.owner_id_number != ""):
            owners.validate_id_number(vehicle.owner_id_number)
        results = {c.result for v in Vehicle.select() for c in v.contacts}
        assert results == {"agreed", "refused", "unreachable", "wrong_number"}
        assert any(contacts.promised_on(n.vehicle_id) and contacts.promised_on(n.vehicle_id) > n.deadline
                   for n in Notice.select().where(Notice.status == "open"))  # fmt: skip
        early = EarlyTowRequest.get()
        assert early.status == "approved" and early.notice.tow_order is not None
        action = JointAction.get()
        assert {link.result for link in action.vehicle_links} == {"cleared", "owner_moved", "not_found"}
        assert SurveyRound.select().where(SurveyRound.closed_at.is_null()).count() == 1
