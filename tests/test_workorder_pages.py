"""The work-order pages over HTTP: inboxes by role, the case page and its actions, the report form
with photos, hotline intake, and rows hidden from those who may not see them."""

import io
import re

import pytest

from core.attachments.models import Attachment
from core.workorders import clocks, workflow
from core.workorders.models import WorkOrder
from tests.support import client_for, in_db
from tests.workorder_support import build_city, jpeg, other_category, report, to_dispatched


@pytest.fixture
def city(app):
    return build_city()


def test_collector_reports_with_photos_sent_with_the_form(app, city):
    collector = client_for(app, "collector")
    assert collector.get("/orders/new").status_code == 200
    response = collector.post(
        "/orders/new",
        data={
            "category": "0101 暴露垃圾",
            "description": "垃圾桶满溢",
            "grid": "430602001001001 洞庭社区1号网格",
            "address": "洞庭路1号",
            "latitude": "29.37",
            "longitude": "113.13",
            "photos": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg("blue")), "b.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    order = in_db(app, lambda: WorkOrder.get())
    assert order.status == "reported" and order.grid_id == city.grid.id
    assert in_db(app, lambda: Attachment.select().count()) == 2


def test_a_report_without_photo_is_refused_and_keeps_what_was_typed(app, city):
    collector = client_for(app, "collector")
    response = collector.post(
        "/orders/new", data={"category": "0101", "description": "垃圾桶满溢", "grid": "430602001001001"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "垃圾桶满溢" in page
    assert in_db(app, lambda: WorkOrder.select().count()) == 0


def test_photos_uploaded_one_by_one_survive_a_failed_one(app, city):
    collector = client_for(app, "collector")
    good = collector.post(
        "/orders/photos", data={"photo": (io.BytesIO(jpeg()), "good.jpg")}, content_type="multipart/form-data"
    )
    assert good.status_code == 200 and 'name="photo_ids"' in good.get_data(as_text=True)
    bad = collector.post(
        "/orders/photos", data={"photo": (io.BytesIO(b"not an image"), "bad.jpg")}, content_type="multipart/form-data"
    )
    assert bad.status_code == 422 and "bad.jpg" in bad.get_data(as_text=True)
    photo_id = int(good.get_data(as_text=True).split('name="photo_ids" value="')[1].split('"')[0])
    response = collector.post(
        "/orders/new",
        data={"category": "0101", "description": "垃圾", "grid": "430602001001001", "photo_ids": str(photo_id)},
    )
    assert response.status_code == 302
    # Someone else cannot attach that photo by guessing its id.
    other = client_for(app, "other_collector")
    response = other.post(
        "/orders/new",
        data={"category": "0101", "description": "x", "grid": "430602001002001", "photo_ids": str(photo_id)},
    )
    assert response.status_code == 422


def test_inbox_defaults_to_the_roles_own_queue(app, city):
    in_db(app, lambda: report(city))
    page = client_for(app, "shift_leader").get("/orders/").get_data(as_text=True)
    assert "2026-" in page or "-000001" in page
    assert 'aria-current="page">' in page


def test_someone_elses_case_answers_404(app, city):
    order = in_db(app, lambda: to_dispatched(city, report(city)))
    assert client_for(app, "handler").get(f"/orders/{order.id}").status_code == 200
    assert client_for(app, "other_handler").get(f"/orders/{order.id}").status_code == 404
    assert client_for(app, "other_collector").get(f"/orders/{order.id}").status_code == 404


def test_the_case_page_offers_only_what_this_user_may_do(app, city):
    order = in_db(app, lambda: report(city))
    leader_page = client_for(app, "shift_leader").get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'value="file"' in leader_page and 'value="void"' in leader_page
    dispatcher_page = client_for(app, "dispatcher").get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'value="file"' not in dispatcher_page


def test_acting_with_a_stale_page_tells_who_acted_first(app, city):
    order = in_db(app, lambda: report(city))
    leader = client_for(app, "shift_leader")
    stale = order.version
    ok = leader.post(f"/orders/{order.id}/act", data={"action": "file", "version": stale, "standard": city.standard.id})
    assert ok.status_code == 302
    again = leader.post(f"/orders/{order.id}/act", data={"action": "void", "version": stale, "reason": "重复"})
    assert again.status_code == 409
    assert "shift_leader" in again.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "filed"


def test_a_refused_action_is_403_with_a_message(app, city):
    order = in_db(app, lambda: report(city))
    response = client_for(app, "collector").post(f"/orders/{order.id}/act", data={"action": "file", "version": 1})
    assert response.status_code == 403


def test_hotline_intake_gives_a_tracking_number_and_hides_the_caller(app, city):
    intake = client_for(app, "intake")
    response = intake.post(
        "/orders/intake",
        data={
            "source": "hotline",
            "caller_name": "王先生",
            "caller_phone": "13912345678",
            "category": "0101",
            "description": "路灯不亮",
            "grid": "430602001001001",
        },
    )
    assert response.status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    assert order.tracking_code in response.get_data(as_text=True)
    assert "13912345678" in intake.get(f"/orders/{order.id}").get_data(as_text=True)
    collector_view = client_for(app, "collector").get(f"/orders/{order.id}").get_data(as_text=True)
    assert "13912345678" not in collector_view and "王先生" not in collector_view


def test_bulk_dispatch(app, city):
    def make_two():
        orders = [report(city), report(city)]
        from tests.workorder_support import act

        for order in orders:
            act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return [WorkOrder.get_by_id(o.id) for o in orders]

    orders = in_db(app, make_two)
    dispatcher = client_for(app, "dispatcher")
    assert "bulk-dept" in dispatcher.get("/orders/?box=to_dispatch").get_data(as_text=True)
    data = {"department": city.sanitation.id, "order": [str(o.id) for o in orders]}
    data.update({f"v{o.id}": o.version for o in orders})
    assert dispatcher.post("/orders/bulk-dispatch", data=data).status_code == 302
    assert in_db(app, lambda: WorkOrder.select().where(WorkOrder.status == "dispatched").count()) == 2


def test_photos_are_served_only_with_their_case(app, city):
    order = in_db(app, lambda: report(city))
    link = in_db(app, lambda: Attachment.get())
    assert (link.subject_kind, link.subject_id, link.stage) == ("workorder", order.id, "report")
    url = f"/attachments/{link.id}/thumb"
    assert client_for(app, "collector").get(url).status_code == 200
    assert client_for(app, "other_collector").get(url).status_code == 404


@pytest.mark.parametrize(
    "username, sees_own_grid_case, sees_other_department_case",
    [
        ("admin", True, True),
        ("intake", True, True),
        ("shift_leader", True, True),
        ("dispatcher", True, True),
        ("evaluator", True, True),
        ("leader", True, True),
        ("collector", True, False),
        ("other_collector", False, True),
        ("handler", True, False),
        ("dept_head", True, False),
        ("other_handler", False, True),
    ],
)
def test_row_scoping_for_every_role(app, city, username, sees_own_grid_case, sees_other_department_case):
    """Case A: in the collector's grid, at sanitation. Case B: in the other grid, at landscaping."""

    def make():
        from tests.workorder_support import act

        a = to_dispatched(city, report(city))
        b = workflow.create_order(
            city.users["other_collector"], "collector", category=city.category, description="x", grid=city.other_grid
        )
        act(city, b, "file", "shift_leader", data={"standard": city.standard.id})
        act(city, b, "dispatch", "dispatcher", data={"department": city.landscaping.id})
        return a, b

    a, b = in_db(app, make)
    client = client_for(app, username)
    assert (client.get(f"/orders/{a.id}").status_code == 200) is sees_own_grid_case
    assert (client.get(f"/orders/{b.id}").status_code == 200) is sees_other_department_case
    listed = client.get("/orders/?box=all").get_data(as_text=True)
    assert (a.number in listed) is sees_own_grid_case and (b.number in listed) is sees_other_department_case


def test_the_grid_comes_from_the_location_when_not_chosen(app, city):
    from core.grids.index import bump_version
    from core.grids.models import GridShape

    square = {
        "type": "Polygon",
        "coordinates": [[[113.1, 29.3], [113.2, 29.3], [113.2, 29.4], [113.1, 29.4], [113.1, 29.3]]],
    }

    def shape():
        import datetime
        import json

        GridShape.create(
            area=city.grid,
            geometry=json.dumps(square),
            min_lon=113.1,
            min_lat=29.3,
            max_lon=113.2,
            max_lat=29.4,
            area_m2=1.0,
            valid_from=datetime.date(2020, 1, 1),
        )
        bump_version()

    in_db(app, shape)
    collector = client_for(app, "collector")
    response = collector.post(
        "/orders/new",
        data={
            "category": "0101",
            "description": "井盖破损",
            "latitude": "29.35",
            "longitude": "113.15",
            "photos": [(io.BytesIO(jpeg()), "a.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.get().grid_id) == city.grid.id


def test_hotline_intake_needs_the_grid_whose_collector_verifies_it(app, city):
    intake = client_for(app, "intake")
    form = {
        "source": "hotline",
        "caller_phone": "13912345678",
        "category": "0101",
        "description": "路灯不亮",
        "address": "洞庭路1号",
    }
    refused = intake.post("/orders/intake", data=form)
    assert refused.status_code == 422 and "洞庭路1号" in refused.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.select().count()) == 0
    taken = intake.post("/orders/intake", data={**form, "grid": "430602001001001"})
    assert taken.status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    collector = client_for(app, "collector")
    assert 'value="verify_true"' in collector.get(f"/orders/{order.id}").get_data(as_text=True)


def test_the_lights_tooltip_is_in_the_users_language(app, city):
    in_db(app, lambda: to_dispatched(city, report(city)))
    page = client_for(app, "dispatcher").get("/orders/?box=all").get_data(as_text=True)  # a Chinese page
    light = re.search(r'<span class="light light-green" title="([^"]*)" role="img" aria-label="([^"]*)"', page)
    assert light and light.group(1) == light.group(2) != "green"  # the translated label, as screen readers get


def test_hotline_intake_needs_the_category_whose_standard_files_it(app, city):
    intake = client_for(app, "intake")
    form = {"caller_phone": "13912345678", "description": "路灯不亮", "grid": "430602001001001"}
    refused = intake.post("/orders/intake", data=form)
    assert refused.status_code == 422 and "路灯不亮" in refused.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.select().count()) == 0
    assert intake.post("/orders/intake", data={**form, "category": "0101 暴露垃圾"}).status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    collector = client_for(app, "collector")
    assert (
        collector.post(f"/orders/{order.id}/act", data={"action": "verify_true", "version": order.version}).status_code
        == 302
    )
    filing = client_for(app, "shift_leader").get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'name="standard" value="{city.standard.id}"' in filing  # a row to file it by


def test_hotline_intake_lists_every_missing_field_at_once(app, city):
    refused = client_for(app, "intake").post("/orders/intake", data={"source": "hotline"})
    assert refused.status_code == 422
    errors = refused.get_data(as_text=True).split('class="flash flash-error"')[1].split("</ul>")[0]
    assert errors.count("<li>") == 3  # category, description, grid: the caller may stay anonymous


def test_a_case_is_found_by_the_tracking_number_the_caller_reads_back(app, city):
    intake = client_for(app, "intake")
    form = {"caller_phone": "13912345678", "category": "0101", "description": "路灯不亮", "grid": "430602001001001"}
    assert intake.post("/orders/intake", data=form).status_code == 200
    in_db(app, lambda: report(city))  # another case, not to be found
    order = in_db(app, lambda: WorkOrder.get(WorkOrder.tracking_code.is_null(False)))
    for typed in (order.tracking_code, order.tracking_code.lower()):
        found = intake.get(f"/orders/?box=all&q={typed}").get_data(as_text=True)
        assert re.findall(r'<a href="/orders/(\d+)">', found) == [str(order.id)]


def test_the_timeline_names_an_actor_whose_account_was_deleted(app, city):
    from core.org import User

    order = in_db(app, lambda: report(city))
    in_db(app, lambda: User.delete().where(User.username == "collector").execute())
    page = client_for(app, "dispatcher").get(f"/orders/{order.id}").get_data(as_text=True)
    timeline = page.split('class="timeline"', 1)[1]
    assert "collector" in timeline


def test_sorting_by_warning_light_puts_red_then_yellow_then_green(app, city):
    from datetime import datetime

    from core import clock
    from tests.workorder_support import act

    monday = datetime(2026, 11, 30)

    def at(hour, minute=0):
        return clock.frozen(monday.replace(hour=hour, minute=minute))

    def prepare():
        with at(8):
            yellow = report(city)
        with at(8, 5):
            act(city, yellow, "file", "shift_leader", data={"standard": city.standard.id})
        with at(8, 10):  # 4 working hours: due 14:10 after lunch, yellow from 11:22
            act(city, yellow, "dispatch", "dispatcher", data={"department": city.sanitation.id})
        with at(11):
            red = report(city)
        with at(11, 5):  # the dispatch stage's 15 minutes: due 11:20
            act(city, red, "file", "shift_leader", data={"standard": city.standard.id})
        with at(11, 30):
            green = report(city)
        with at(11, 35):  # due 11:50, yellow from 11:47
            act(city, green, "file", "shift_leader", data={"standard": city.standard.id})
        return red, yellow, green

    red, yellow, green = in_db(app, prepare)
    stored = in_db(app, lambda: WorkOrder.get_by_id(yellow.id))
    assert stored.stage_warn_at == datetime(2026, 11, 30, 11, 22)
    assert clocks.light(stored, stored.stage_warn_at) == "yellow"
    with at(11, 40):
        dispatcher = client_for(app, "dispatcher")
        by_light = dispatcher.get("/orders/?box=open&sort=light").get_data(as_text=True)
        by_due = dispatcher.get("/orders/?box=open").get_data(as_text=True)
    rows = re.compile(r'<a href="/orders/(\d+)">')
    assert [int(i) for i in rows.findall(by_light)] == [red.id, yellow.id, green.id]
    assert [int(i) for i in rows.findall(by_due)] == [red.id, green.id, yellow.id]


def test_flask_db_upgrade_gives_older_open_cases_their_yellow_time(app, city):
    from core.db import UpgradeStepDone, upgrade

    order = in_db(app, lambda: to_dispatched(city, report(city)))
    expected = in_db(app, lambda: WorkOrder.get_by_id(order.id).stage_warn_at)
    in_db(app, lambda: WorkOrder.update(stage_warn_at=None).execute())
    # a database from before the step: it has not run yet (it runs once, then is recorded)
    in_db(app, lambda: UpgradeStepDone.delete().where(UpgradeStepDone.name == "workorders.warn_times").execute())
    upgrade(app)
    assert expected is not None and in_db(app, lambda: WorkOrder.get_by_id(order.id).stage_warn_at) == expected


def test_a_handling_report_takes_at_most_six_photos(app, city):
    from tests.workorder_support import act

    order = in_db(app, lambda: to_dispatched(city, report(city)))
    in_db(app, lambda: act(city, order, "accept", "handler"))
    version = in_db(app, lambda: WorkOrder.get_by_id(order.id).version)
    handler = client_for(app, "handler")
    response = handler.post(
        f"/orders/{order.id}/act",
        data={
            "action": "report_handled",
            "version": version,
            "reason": "已清理",
            "photos": [
                (io.BytesIO(jpeg(colour)), f"{colour}.jpg")
                for colour in ("red", "blue", "green", "white", "black", "grey", "pink")
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "handling"


def test_the_filer_can_file_a_case_under_another_category(app, city):
    def prepare():
        _category, standard = other_category(city)
        return report(city), standard

    order, standard = in_db(app, prepare)
    leader = client_for(app, "shift_leader")
    page = leader.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="file-category"' in page and "0102 绿地脏乱" in page
    choices = leader.get(f"/orders/{order.id}/standards?category=0102+绿地脏乱").get_data(as_text=True)
    assert f'name="standard" value="{standard.id}"' in choices and "绿地有垃圾" in choices
    assert "0999" in leader.get(f"/orders/{order.id}/standards?category=0999").get_data(as_text=True)
    assert client_for(app, "collector").get(f"/orders/{order.id}/standards?category=0102").status_code == 403
    filed = leader.post(
        f"/orders/{order.id}/act", data={"action": "file", "version": order.version, "standard": standard.id}
    )
    assert filed.status_code == 302
    after = in_db(app, lambda: WorkOrder.get_by_id(order.id))
    assert after.category_id == standard.category_id and after.suggested_department_id == city.landscaping.id
