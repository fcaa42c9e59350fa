"""The zombie-car campaign plugin (plugins/zombie_cars): plates, one record per plate, notices with
their deadline, the daily tow job and the tow order's life through the case workflow, outcomes,
what each role sees, the map layer, the export and the demo."""

import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from core import clock, scheduler
from core.audit import AuditEntry
from core.db import db
from core.org import Department
from core.workorders import states, workflow
from core.workorders.models import WorkOrder, WorkOrderEvent
from plugins.zombie_cars import plates, service, towing
from plugins.zombie_cars.models import Notice, Vehicle
from tests.support import client_for, create_user, finish, form_version, in_db
from tests.workorder_support import build_city, jpeg, photo

MONDAY = datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English messages."""
    return english_xiuhua_app


@pytest.fixture
def city(app):
    made = build_city()
    with db.connection_context():
        made.parking = Department.create(name="停车管理办公室", code="parking", type="professional")
    made.users["parker"] = create_user("parker", "handler", made.parking)
    made.users["nobody"] = create_user("nobody")
    return made


def register(city, plate="湘F12345", **fields):
    values = {"address": "洞庭路1号旁", "grid": city.grid.id, "colour": "白色", "brand": "捷达"}
    values.update(fields)
    vehicle, created = service.register(city.users["collector"], plate=plate, **values)
    assert created
    return vehicle


def origin_of(vehicle):
    return {"origin_plugin": "zombie_cars", "origin_kind": "vehicle", "origin_id": str(vehicle.id)}


def reload(row):
    return type(row).get_by_id(row.id)


def act(city, order_id, action, username, **kwargs):
    order = WorkOrder.get_by_id(order_id)
    return workflow.transition(order_id, action, actor=city.users[username], version=order.version, **kwargs)


# --- plates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, plate, kind",
    [
        ("湘F12345", "湘F12345", "ordinary"),
        ("京A8B9C7", "京A8B9C7", "ordinary"),
        ("湘f 3k721", "湘F3K721", "ordinary"),
        ("湘F·12345", "湘F12345", "ordinary"),
        ("湘Ｆ１２３４５", "湘F12345", "ordinary"),
        ("湘FD12345", "湘FD12345", "new_energy_small"),
        ("粤BDA1234", "粤BDA1234", "new_energy_small"),
        ("沪AF02976", "沪AF02976", "new_energy_small"),
        ("湘F12345D", "湘F12345D", "new_energy_large"),
        ("京A12345F", "京A12345F", "new_energy_large"),
        ("湘F1234挂", "湘F1234挂", "trailer"),
        ("湘F0123学", "湘F0123学", "coach"),
        ("湘F0001警", "湘F0001警", "police"),
        ("沪A1234领", "沪A1234领", "consulate"),
        ("粤Z1234港", "粤Z1234港", "hk_macao"),
        ("123456使", "123456使", "embassy"),
    ],
)
def test_real_looking_plates_are_accepted_and_normalised(typed, plate, kind):
    assert plates.validate(typed) == (plate, kind)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "湘F1234",
        "湘F123456",
        "湘FI2345",
        "湘F12O45",
        "XF12345",
        "湘FD1234A",
        "湘F123456G",
        "湘1F2345",
        "湘F12345挂",
    ],
)
def test_malformed_plates_are_refused_with_a_message(app, typed):
    with app.test_request_context(), pytest.raises(plates.PlateError) as refused:
        plates.validate(typed)
    assert str(refused.value.message)


def test_the_letters_i_and_o_get_their_own_hint(app):
    with app.test_request_context(), pytest.raises(plates.PlateError) as refused:
        plates.validate("湘FI2345")
    assert "I and O" in str(refused.value.message)


# --- registering -------------------------------------------------------------------------------------


def test_registering_a_plate_twice_opens_the_existing_record(app, city):
    collector = client_for(app, "collector")
    first = collector.post(
        "/campaigns/zombie-cars/new",
        data={"plate": "湘F12345", "vehicle_type": "car", "address": "洞庭路1号旁", "survey_round": "0"},
    )
    assert first.status_code == 303
    vehicle_url = first.headers["Location"]
    again = collector.post(
        "/campaigns/zombie-cars/new",
        data={"plate": " 湘f 12345 ", "vehicle_type": "van", "address": "别处", "survey_round": "0"},
    )
    assert again.status_code == 303 and again.headers["Location"] == vehicle_url
    assert "already registered" in collector.get(vehicle_url).get_data(as_text=True)
    assert in_db(app, lambda: Vehicle.select().count()) == 1
    assert in_db(app, lambda: Vehicle.get().vehicle_type) == "car"  # the first record is untouched


def test_vehicles_without_plates_are_separate_records(app, city):
    collector = client_for(app, "collector")
    for place in ("巴陵路1号", "巴陵路9号"):
        response = collector.post(
            "/campaigns/zombie-cars/new",
            data={"no_plate": "y", "vehicle_type": "tricycle", "address": place, "survey_round": "0"},
        )
        assert response.status_code == 303
    assert in_db(app, lambda: [v.plate for v in Vehicle.select()]) == [None, None]


def test_a_bad_plate_is_refused_and_nothing_is_saved(app, city):
    collector = client_for(app, "collector")
    response = collector.post(
        "/campaigns/zombie-cars/new",
        data={
            "plate": "湘F1234",
            "vehicle_type": "car",
            "address": "洞庭路1号旁",
            "colour": "红色",
            "survey_round": "0",
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "not a valid plate" in body and 'value="红色"' in body
    both = collector.post(
        "/campaigns/zombie-cars/new",
        data={"plate": "湘F12345", "no_plate": "y", "vehicle_type": "car", "address": "x", "survey_round": "0"},
    )
    assert both.status_code == 422
    assert in_db(app, lambda: Vehicle.select().count()) == 0


def test_registering_with_photos_and_coordinates(app, city):
    collector = client_for(app, "collector")
    response = collector.post(
        "/campaigns/zombie-cars/new",
        data={
            "plate": "湘FD12345",
            "vehicle_type": "car",
            "address": "洞庭路1号旁",
            "longitude": "113.13",
            "latitude": "29.37",
            "dusty": "y",
            "flat_tyres": "y",
            "days_unmoved": "90",
            "advertising": "y",
            "survey_round": "0",
            "photos": [(io.BytesIO(jpeg()), "car.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    vehicle = in_db(app, lambda: Vehicle.get())
    assert vehicle.plate_kind == "new_energy_small" and vehicle.dusty and vehicle.advertising
    assert float(vehicle.longitude) == 113.13 and vehicle.days_unmoved == 90
    page = collector.get(response.headers["Location"]).get_data(as_text=True)
    thumb = page.split('<img src="')[1].split('"')[0]
    assert collector.get(thumb).status_code == 200
    bad = collector.post(
        "/campaigns/zombie-cars/new",
        data={
            "plate": "湘F22222",
            "vehicle_type": "car",
            "address": "x",
            "survey_round": "0",
            "photos": [(io.BytesIO(b"not a picture"), "car.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert in_db(app, lambda: Vehicle.select().count()) == 1


def test_one_coordinate_alone_is_refused(app, city):
    collector = client_for(app, "collector")
    response = collector.post(
        "/campaigns/zombie-cars/new",
        data={"plate": "湘F12345", "vehicle_type": "car", "address": "x", "longitude": "113.1", "survey_round": "0"},
    )
    assert response.status_code == 422


# --- the campaign end to end -------------------------------------------------------------------------


def test_notice_runs_out_tow_order_is_handled_closed_and_the_vehicle_is_towed(app, city):
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
        assert notice.issued_on == date(2026, 11, 2) and notice.deadline == date(2026, 11, 9)
        assert reload(vehicle).stage == "notified"

        with clock.frozen(datetime(2026, 11, 9, 6, 30)):  # the last day: the owner still has today
            assert towing.tow_overdue().params["n"] == 0
        with clock.frozen(datetime(2026, 11, 10, 6, 30)):
            summary = towing.tow_overdue()
            assert summary.params["n"] == 1
            assert towing.tow_overdue().params["n"] == 0  # never twice for one notice

        notice = reload(notice)
        order = notice.tow_order
        assert notice.status == "expired" and reload(vehicle).stage == "tow_ordered"
        assert order.source == "campaign" and order.status == "dispatched"
        assert order.category.code == "9001" and order.department_id == city.parking.id
        assert order.standard.filing_condition == "告知期满车辆仍未移走" and order.due_at is not None
        assert order.grid_id == city.grid.id
        events = [(e.action, e.actor_name) for e in order.events.order_by(WorkOrderEvent.id)]
        assert events == [("create", "zombie_cars"), ("file", "zombie_cars"), ("dispatch", "zombie_cars")]
        assert order.origin == ("zombie_cars", "vehicle", str(vehicle.id))

        with clock.frozen(datetime(2026, 11, 10, 10, 0)):
            act(city, order.id, "accept", "parker")
            act(city, order.id, "report_handled", "parker", reason="已拖移", photos=[photo(city.users["parker"])])
            assert reload(vehicle).stage == "tow_ordered"
            act(city, order.id, "check_pass", "collector")
            act(city, order.id, "close", "shift_leader")
        assert reload(order).status == "closed"
        vehicle = reload(vehicle)
        assert vehicle.stage == "towed" and vehicle.outcome_at == datetime(2026, 11, 10, 10, 0)
        actions = {e.action for e in AuditEntry.select().where(AuditEntry.object_type == "zombie_car")}
        assert {"zombie_cars.register", "zombie_cars.notify", "zombie_cars.tow_order", "zombie_cars.towed"} <= actions


def test_the_scheduler_runs_the_daily_tow_job(app, city):
    jobs = {job.id: job for _, job in app.extensions["xiuhua.plugins"].items("register_jobs")}
    assert jobs["zombie_cars.tow_overdue"].cron == "30 6 * * *"
    with clock.frozen(MONDAY):
        in_db(app, lambda: service.notify(register(city), city.users["dispatcher"]))
    with clock.frozen(datetime(2026, 11, 10, 6, 30)):
        run = scheduler.run_job(app, "zombie_cars.tow_overdue", "schedule")
    assert run.outcome == "success" and json.loads(run.summary)["params"] == {"n": 1, "numbers": "2026-000001"}
    assert in_db(app, lambda: WorkOrder.get().status) == "dispatched"


def test_the_case_page_of_a_tow_order_shows_the_vehicle(app, city):
    def setup():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 10, 7, 0)):
            towing.tow_overdue()
        return vehicle, reload(notice).tow_order_id

    vehicle, order_id = in_db(app, setup)
    for username in ("dispatcher", "parker"):
        page = client_for(app, username).get(f"/orders/{order_id}").get_data(as_text=True)
        assert "湘F12345" in page
        assert f'href="/campaigns/zombie-cars/{vehicle.id}"' in page
    # the parking office sees the vehicle its order is about, not the others
    parker = client_for(app, "parker")
    assert parker.get(f"/campaigns/zombie-cars/{vehicle.id}").status_code == 200
    other = in_db(app, lambda: register(city, plate="湘F54321"))
    assert parker.get(f"/campaigns/zombie-cars/{other.id}").status_code == 404


def test_leaving_closed_reverts_the_vehicle_to_tow_ordered(app, city):
    """The workflow has no action out of "closed" today (a call-back is recorded on a closed case but leaves
    it closed); the plugin follows the statuses, so the event a future reopen writes is fed through the hook
    here."""
    assert not any("closed" in a.sources and a.target not in (None, "closed") for a in states.ACTIONS.values())
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 10, 7, 0)):
            towing.tow_overdue()
            order = reload(notice).tow_order
            act(city, order.id, "accept", "parker")
            act(city, order.id, "report_handled", "parker", reason="已拖移", photos=[photo(city.users["parker"])])
            act(city, order.id, "check_pass", "collector")
            act(city, order.id, "close", "shift_leader")
        assert reload(order).status == "closed" and reload(vehicle).stage == "towed"
        reopened = WorkOrderEvent.create(
            order=order, at=datetime(2026, 11, 11, 9, 0), action="reopen", from_status="closed",
            to_status="dispatched", actor_name="shift_leader", actor=city.users["shift_leader"],
        )  # fmt: skip
        app.extensions["xiuhua.plugins"].call_each("workorder_transitioned", workorder=order, event=reopened)
        assert reload(vehicle).stage == "tow_ordered"
        assert AuditEntry.select().where(AuditEntry.action == "zombie_cars.towed_reverted").count() == 1


def test_moved_by_the_owner_concludes_the_tow_order_as_object_gone_by_the_campaign(app, city):
    """The collector records the fact on the vehicle; the campaign's system actor concludes the tow case
    in one event as "object gone" (not handled, checked and closed "by system" for the parking office),
    audited under its name, with the photo and who recorded it."""
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 10, 7, 0)):
            towing.tow_overdue()
    order_id = in_db(app, lambda: reload(notice).tow_order_id)
    collector = client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{vehicle.id}/outcome"
    refused = collector.post(url, data={"outcome": "moved", "note": "车主开走了"})
    assert refused.status_code == 422 and "add a photo" in refused.get_data(as_text=True)
    assert in_db(app, lambda: (reload(vehicle).stage, WorkOrder.get_by_id(order_id).status)) == (
        "tow_ordered",
        "dispatched",
    )
    done = collector.post(
        url,
        data={"outcome": "moved", "note": "车主开走了", "photo": (io.BytesIO(jpeg("grey")), "empty.jpg")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 303

    def check():
        order = WorkOrder.get_by_id(order_id)
        assert (order.status, order.outcome) == ("closed", "object_gone") and reload(vehicle).stage == "moved"
        assert order.handled_at is None
        actions = [e.action for e in order.events.order_by(WorkOrderEvent.id)]
        assert actions == ["create", "file", "dispatch", "conclude"]
        last = order.events.order_by(WorkOrderEvent.id.desc()).first()
        assert last.actor_name == "zombie_cars" and last.actor_id is None
        assert "moved it" in last.reason and city.users["collector"].name in last.reason
        assert last.data["outcome"] == "object_gone" and last.data["recorded_by"] == "collector"
        entry = AuditEntry.get(AuditEntry.action == "workorder.conclude")
        assert entry.actor_name == "zombie_cars" and entry.after["outcome"] == "object_gone"

    in_db(app, check)
    timeline = client_for(app, "dispatcher").get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Concluded: The object is gone" in timeline and "Zombie-car campaign (system)" in timeline
    assert "Check passed" not in timeline
    again = collector.post(url, data={"outcome": "not_abandoned"})
    assert again.status_code == 409


def test_moved_before_the_deadline_cancels_the_notice_and_no_order_follows(app, city):
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
            service.set_outcome(vehicle, "moved", city.users["collector"], "车主电话后移走")
        with clock.frozen(datetime(2026, 11, 20, 7, 0)):
            assert towing.tow_overdue().params["n"] == 0
        assert reload(notice).status == "cancelled" and WorkOrder.select().count() == 0


def test_an_order_not_yet_dispatched_is_voided_with_the_reason(app, city):
    with app.app_context(), db.connection_context():
        vehicle = register(city)
        notice = service.notify(vehicle, city.users["dispatcher"])
        order = workflow.create_order(
            service.CAMPAIGN, "campaign", category=city.category, description="x", **origin_of(vehicle)
        )
        Notice.update(tow_order=order).where(Notice.id == notice.id).execute()
        service.set_outcome(vehicle, "not_abandoned", city.users["collector"], "车主每天使用")
        order = reload(order)
        assert (order.status, order.outcome) == ("voided", "withdrawn")
        assert "Not abandoned" in order.events.order_by(WorkOrderEvent.id.desc()).first().reason


def test_notice_days_come_from_configuration_and_the_notice_prints_them(make_app):
    app = make_app(ZOMBIE_NOTICE_DAYS=3, ZOMBIE_ISSUING_OFFICE="某市城市管理局", ZOMBIE_LEGAL_BASIS="依据某条例。")
    city = build_city()
    with app.app_context(), db.connection_context(), clock.frozen(MONDAY):
        vehicle = register(city)
    with clock.frozen(MONDAY):  # the whole visit on one day: sessions follow the clock too
        collector = client_for(app, "collector")
        issued = collector.post(f"/campaigns/zombie-cars/{vehicle.id}/notify")
        assert issued.status_code == 303
        notice = collector.get(issued.headers["Location"]).get_data(as_text=True)
        twice = collector.post(f"/campaigns/zombie-cars/{vehicle.id}/notify")
    assert "November 5, 2026" in notice  # the deadline, as English writes it
    assert "某市城市管理局" in notice and "依据某条例。" in notice
    assert "湘F12345" in notice and "data-print" in notice and "notice.js" in notice
    assert twice.status_code == 409
    assert in_db(app, lambda: Notice.select().count()) == 1
    assert collector.get("/campaigns/zombie-cars/static/notice.js").status_code == 200


def test_owner_contacts_are_logged(app, city):
    vehicle = in_db(app, lambda: register(city))
    collector = client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{vehicle.id}/contacts"
    assert collector.post(url, data={"contacted_on": "2026-11-03", "caller": "", "outcome": ""}).status_code == 422
    response = collector.post(
        url,
        data={
            "contacted_on": "2026-11-03",
            "caller": "刘洋",
            "result": "agreed",
            "note": "车主答应周末移走",
            "promised_on": "2026-11-08",
        },
    )
    assert response.status_code == 303
    page = collector.get(f"/campaigns/zombie-cars/{vehicle.id}").get_data(as_text=True)
    assert "车主答应周末移走" in page and "2026-11-08" in page
    assert "Reached: agreed to move it by a date" in page


def test_survey_rounds_count_their_vehicles(app, city):
    collector = client_for(app, "collector")
    response = collector.post(
        "/campaigns/zombie-cars/rounds",
        data={"name": "第一轮摸底", "started_on": "2026-11-01", "ended_on": "2026-11-03"},
    )
    assert response.status_code == 303
    bad = collector.post(
        "/campaigns/zombie-cars/rounds", data={"name": "反了", "started_on": "2026-11-05", "ended_on": "2026-11-03"}
    )
    assert bad.status_code == 422
    from plugins.zombie_cars.models import SurveyRound

    survey = in_db(app, lambda: SurveyRound.get())
    in_db(app, lambda: register(city, survey_round=survey.id))
    in_db(app, lambda: register(city, plate="湘F54321", survey_round=survey.id, advertising=True))
    page = collector.get("/campaigns/zombie-cars/rounds").get_data(as_text=True)
    row = page.split("第一轮摸底")[1].split("</tr>")[0]
    assert "<td>2</td>" in row
    assert client_for(app, "leader").post("/campaigns/zombie-cars/rounds", data={"name": "x"}).status_code == 403


# --- who sees what, map, export, widget --------------------------------------------------------------


def test_permissions_and_scoping(app, city):
    vehicle = in_db(app, lambda: register(city))
    assert client_for(app, "nobody").get("/campaigns/zombie-cars/").status_code == 403
    assert client_for(app, "leader").get("/campaigns/zombie-cars/").status_code == 200
    assert client_for(app, "leader").get("/campaigns/zombie-cars/new").status_code == 403
    # the vehicle is in the collector's grid; the other collector's grids do not hold it
    assert client_for(app, "collector").get(f"/campaigns/zombie-cars/{vehicle.id}").status_code == 200
    assert client_for(app, "other_collector").get(f"/campaigns/zombie-cars/{vehicle.id}").status_code == 404
    assert client_for(app, "handler").get(f"/campaigns/zombie-cars/{vehicle.id}").status_code == 404
    geo = client_for(app, "other_collector").get("/campaigns/zombie-cars/map.geojson").get_json()
    assert geo["features"] == []


def test_the_map_layer_answers_styled_points(app, city):
    def setup():
        register(city, longitude=113.13, latitude=29.37)
        notified = register(city, plate="湘F54321", longitude=113.14, latitude=29.38)
        service.notify(notified, city.users["dispatcher"])
        register(city, plate="湘F11111")  # no coordinates: not on the map

    in_db(app, setup)
    response = client_for(app, "dispatcher").get("/campaigns/zombie-cars/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    by_label = {f["properties"]["label"]: f for f in data["features"]}
    assert by_label["湘F12345"]["geometry"]["coordinates"] == [113.13, 29.37]
    assert by_label["湘F12345"]["properties"]["color"] == "#9e9e9e"
    assert by_label["湘F54321"]["properties"]["color"] == "#f9a825"
    assert by_label["湘F54321"]["properties"]["href"].startswith("/campaigns/zombie-cars/")
    only = client_for(app, "dispatcher").get("/campaigns/zombie-cars/map.geojson?stage=notified").get_json()
    assert [f["properties"]["label"] for f in only["features"]] == ["湘F54321"]
    page = client_for(app, "dispatcher").get("/campaigns/zombie-cars/").get_data(as_text=True)
    assert 'class="xh-map"' in page and "/campaigns/zombie-cars/map.geojson" in page


def test_the_excel_export_lists_the_vehicles_and_the_figures(app, city):
    in_db(app, lambda: [register(city), register(city, plate="湘F54321", advertising=True)])
    response = client_for(app, "dispatcher").get("/campaigns/zombie-cars/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    vehicles, summary = book.worksheets
    plates_listed = {row[0] for row in vehicles.iter_rows(min_row=2, values_only=True)}
    assert plates_listed == {"湘F12345", "湘F54321"}
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, max_row=6, values_only=True)}
    assert figures["Surveyed"] == 2


def test_the_dashboard_widget_shows_the_figures(app, city):
    in_db(app, lambda: service.notify(register(city), city.users["dispatcher"]))
    page = client_for(app, "dispatcher").get("/").get_data(as_text=True)
    assert "Zombie-car campaign" in page
    assert '<strong data-figure="surveyed">1</strong>' in page
    assert '<strong data-figure="notified">1</strong>' in page
    assert "Zombie-car campaign" not in client_for(app, "nobody").get("/").get_data(as_text=True)


def test_the_job_fails_loudly_without_a_tow_department(make_app):
    app = make_app(ZOMBIE_TOW_DEPARTMENT="no-such-office")
    city = build_city()
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            service.notify(register(city), city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 20, 7, 0)), pytest.raises(service.CampaignError):
            towing.tow_overdue()
        assert WorkOrder.select().count() == 0


# --- demo --------------------------------------------------------------------------------------------


def test_the_demo_has_vehicles_in_every_stage_on_the_map(demo_app):
    from core import demo

    with demo_app.app_context(), db.connection_context():
        vehicles = list(Vehicle.select())
        assert len(vehicles) >= 30
        assert {v.stage for v in vehicles} == {
            "surveyed", "notified", "tow_ordered", "moved", "towed", "disposed", "not_abandoned",
        }  # fmt: skip
        assert all(v.grid_id and v.latitude is not None for v in vehicles)
        parking = Department.get(Department.code == "parking")
        for notice in Notice.select().where(Notice.tow_order.is_null(False)):
            assert notice.tow_order.department_id == parking.id
            if notice.vehicle.stage == "towed":
                assert notice.tow_order.status == "closed"
            if notice.vehicle.stage == "tow_ordered":
                assert notice.tow_order.status == "dispatched"
        # the core catalogue was still loaded although the plugin's category existed before it
        assert WorkOrder.select().where(WorkOrder.source != "campaign").exists()
        before = Vehicle.select().count()
        demo.load(demo_app)
        assert Vehicle.select().count() == before


def test_editing_a_vehicle_keeps_plates_unique_and_refuses_stale_forms(app, city):
    def setup():
        return register(city), register(city, plate="湘F54321")

    vehicle, other = in_db(app, setup)
    collector = client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{vehicle.id}/edit"
    form = collector.get(url).get_data(as_text=True)
    seen = form.split('name="version" type="hidden" value="')[1].split('"')[0]
    fields = {"plate": "湘F12345", "vehicle_type": "van", "colour": "红色", "address": "巴陵路2号", "survey_round": "0"}
    saved = collector.post(url, data={**fields, "version": seen})
    assert saved.status_code == 303
    assert in_db(app, lambda: (reload(vehicle).vehicle_type, reload(vehicle).colour)) == ("van", "红色")
    stale = collector.post(url, data={**fields, "colour": "蓝色", "version": seen})
    assert stale.status_code == 409 and "(collector) changed this record" in stale.get_data(as_text=True)
    fresh = collector.get(url).get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    taken = collector.post(url, data={**fields, "plate": "湘f54321", "version": fresh})
    assert taken.status_code == 409 and "already registered as another vehicle" in taken.get_data(as_text=True)
    assert in_db(app, lambda: reload(vehicle).plate) == "湘F12345"
    assert in_db(app, lambda: AuditEntry.select().where(AuditEntry.action == "zombie_cars.edit").count()) == 1
    assert client_for(app, "leader").get(url).status_code == 403


def test_migration_0018_gives_existing_tow_cases_their_vehicle_as_origin(app, city):
    import importlib

    migration = importlib.import_module("core.migrations.0018_case_origin")
    with app.app_context(), db.connection_context():
        with clock.frozen(MONDAY):
            vehicle = register(city)
            notice = service.notify(vehicle, city.users["dispatcher"])
        with clock.frozen(datetime(2026, 11, 10, 7, 0)):
            towing.tow_overdue()
        order = reload(notice).tow_order
        other = workflow.create_order(city.users["collector"], "collector", description="x", grid=city.grid)
        WorkOrder.update(origin_plugin="", origin_kind="", origin_id="").execute()  # as before 0018
        migration.fill_zombie_car_origins(db)
        assert reload(order).origin == ("zombie_cars", "vehicle", str(vehicle.id))
        assert reload(other).origin is None
        assert service.open_orders(vehicle) == [reload(order)]


# --- only what the user may see (issue 19, item 15) --------------------------------------------------


def tow_ordered_by_other_collector(city):
    """other_collector registered a car in the collector's grid: they see the vehicle (theirs), not its
    tow case (the case is in a grid that is not theirs, and they did not report it)."""
    with clock.frozen(MONDAY):
        vehicle, _ = service.register(
            city.users["other_collector"], plate="湘F12345", address="洞庭路1号旁", grid=city.grid.id
        )
        notice = service.notify(vehicle, city.users["dispatcher"])
    with clock.frozen(datetime(2026, 11, 10, 7, 0)):
        towing.tow_overdue()
    return vehicle, reload(notice).tow_order


def test_the_vehicle_page_and_export_show_only_tow_cases_the_user_may_open(app, city):
    vehicle, order = in_db(app, lambda: tow_ordered_by_other_collector(city))
    reporter = client_for(app, "other_collector")
    assert reporter.get(f"/orders/{order.id}").status_code == 404
    page = reporter.get(f"/campaigns/zombie-cars/{vehicle.id}").get_data(as_text=True)
    assert "湘F12345" in page and order.number not in page and 'id="tow-orders"' not in page
    book = openpyxl.load_workbook(io.BytesIO(reporter.get("/campaigns/zombie-cars/export.xlsx").data))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and order.number not in [str(cell) for cell in rows[0]]
    # the centre sees it on both
    dispatcher = client_for(app, "dispatcher")
    assert order.number in dispatcher.get(f"/campaigns/zombie-cars/{vehicle.id}").get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(dispatcher.get("/campaigns/zombie-cars/export.xlsx").data))
    assert order.number in [str(c) for c in next(book.worksheets[0].iter_rows(min_row=2, values_only=True))]


def test_a_plate_registered_out_of_ones_scope_goes_to_the_centre_without_revealing_the_record(app, city):
    vehicle = in_db(app, lambda: register(city, notes="车主是张三"))  # the collector's grid
    other = client_for(app, "other_collector")
    response = other.post(
        "/campaigns/zombie-cars/new",
        data={
            "plate": "湘F12345",
            "vehicle_type": "car",
            "address": "滨湖路8号",
            "survey_round": "0",
            "photos": (io.BytesIO(jpeg("blue")), "car.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/campaigns/zombie-cars/")
    answer = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "passed to the command centre" in answer
    assert "already registered" not in answer and "洞庭路1号旁" not in answer and "车主是张三" not in answer
    assert f"/campaigns/zombie-cars/{vehicle.id}" not in answer

    def check():
        from core.notifications.models import Notification

        assert Vehicle.select().count() == 1 and reload(vehicle).address == "洞庭路1号旁"  # merged by the centre
        assert len(service.vehicle_photos(vehicle)) == 1  # nothing lost: the photo joins the record
        entry = AuditEntry.get(AuditEntry.action == "zombie_cars.duplicate")
        assert entry.actor_name == "other_collector" and entry.after["address"] == "滨湖路8号"
        told = {n.user.username: n.text for n in Notification.select().where(Notification.kind == "zombie-merge")}
        assert {"admin", "shift_leader", "dispatcher"} <= set(told) and "collector" not in told
        assert "湘F12345" in told["dispatcher"] and f"/campaigns/zombie-cars/{vehicle.id}" in told["dispatcher"]

    in_db(app, check)


def test_editing_to_a_plate_whose_record_is_out_of_scope_goes_to_the_centre_too(app, city):
    def setup():
        mine = register(city)
        theirs, _ = service.register(
            city.users["other_collector"], plate="湘F54321", address="滨湖路8号", grid=city.other_grid.id
        )
        return mine, theirs

    mine, theirs = in_db(app, setup)
    collector = client_for(app, "collector")
    url = f"/campaigns/zombie-cars/{mine.id}/edit"
    version = form_version(collector, url)
    fields = {
        "plate": "湘F54321",
        "vehicle_type": "car",
        "address": "洞庭路1号旁",
        "survey_round": "0",
        "version": version,
    }
    answer = collector.post(url, data=fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "passed to the command centre" in page
    assert "already registered" not in page and "滨湖路8号" not in page
    assert in_db(app, lambda: (reload(mine).plate, reload(theirs).plate)) == ("湘F12345", "湘F54321")
    assert in_db(app, lambda: AuditEntry.select().where(AuditEntry.action == "zombie_cars.duplicate").count()) == 1


def test_a_long_excel_export_is_written_in_the_background_with_the_notices(app, city):
    """Over EXPORT_INLINE_ROWS rows the export goes through core/exports/jobs.py's thread: same sheets, same
    rows, the latest notice of each vehicle."""
    in_db(app, lambda: [service.notify(register(city), city.users["dispatcher"]), register(city, plate="湘F54321")])
    app.config["EXPORT_INLINE_ROWS"] = 1
    client = client_for(app, "dispatcher")
    response = client.get("/campaigns/zombie-cars/export.xlsx")
    assert response.status_code == 303
    body = finish(client, response.headers["Location"])
    assert "Download (12 rows)" in body  # two vehicles; seven figures, a blank row, the districts header and one
    book = openpyxl.load_workbook(io.BytesIO(client.get(response.headers["Location"] + "/download").data))
    vehicles, summary = book.worksheets
    header = [cell.value for cell in vehicles[1]]
    rows = {row[0]: row for row in vehicles.iter_rows(min_row=2, values_only=True)}
    with db.connection_context():
        notice = Notice.get()
    assert rows["湘F12345"][header.index("Notice")] == notice.number
    assert (
        rows["湘F12345"][header.index("Stage")] == "Notice posted" and rows["湘F54321"][header.index("Notice")] is None
    )
    assert summary["A2"].value == "Surveyed"
