"""Bad input on the work-order pages: malformed or out-of-range values in URLs, query parameters and
form fields get a 404 or a message, never a 500."""

import io

import pytest

from core.workorders.models import WorkOrder
from tests.support import client_for, in_db
from tests.workorder_support import act, build_city, jpeg, report

HUGE = "99999999999999999999999"  # more than any database integer holds


@pytest.fixture
def app(make_app):
    return make_app(PROPAGATE_EXCEPTIONS=False)  # a 500 is answered as a 500, as in production


@pytest.fixture
def city(app):
    return build_city()


def filed_order(app, city):
    def make():
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return WorkOrder.get_by_id(order.id)

    return in_db(app, make)


@pytest.mark.parametrize(
    "url",
    [f"/orders/{HUGE}", f"/attachments/{HUGE}/thumb", f"/orders/uploads/{HUGE}/thumb", "/orders/0"],
)
def test_an_id_no_database_holds_is_404(app, city, url):
    assert client_for(app, "dispatcher").get(url).status_code == 404


def test_a_photo_id_no_database_holds_is_404(app, city):
    filed_order(app, city)
    assert client_for(app, "dispatcher").get(f"/attachments/{HUGE}/thumb").status_code == 404


@pytest.mark.parametrize("page", ["abc", "-5", "0", HUGE, str(2**62), "9999999999"])
def test_any_page_number_shows_a_list(app, city, page):
    response = client_for(app, "dispatcher").get(f"/orders/?box=all&page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("value", [HUGE, "²", "-1", "abc"])
def test_dispatch_to_a_department_id_that_cannot_exist_is_refused(app, city, value):
    order = filed_order(app, city)
    response = client_for(app, "dispatcher").post(
        f"/orders/{order.id}/act", data={"action": "dispatch", "version": order.version, "department": value}
    )
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "filed"


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_filing_with_a_standard_id_that_cannot_exist_is_refused(app, city, value):
    order = in_db(app, lambda: report(city))
    response = client_for(app, "shift_leader").post(
        f"/orders/{order.id}/act", data={"action": "file", "version": order.version, "standard": value}
    )
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "reported"


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_a_report_naming_a_component_that_cannot_exist_is_refused(app, city, value):
    response = client_for(app, "collector").post(
        "/orders/new",
        data={"category": "0101", "description": "垃圾", "grid": "430602001001001", "component": value},
    )
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.select().count()) == 0


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_a_report_claiming_a_photo_id_that_cannot_exist_is_refused(app, city, value):
    response = client_for(app, "collector").post(
        "/orders/new",
        data={"category": "0101", "description": "垃圾", "grid": "430602001001001", "photo_ids": value},
    )
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.select().count()) == 0


@pytest.mark.parametrize("field", ["order", "department"])
@pytest.mark.parametrize("value", [HUGE, "²"])
def test_bulk_dispatch_with_ids_that_cannot_exist_refuses_them(app, city, field, value):
    order = filed_order(app, city)
    form = {"order": str(order.id), f"v{order.id}": order.version, "department": city.sanitation.id}
    form[field] = value
    response = client_for(app, "dispatcher").post("/orders/bulk-dispatch", data=form)
    assert response.status_code == 302
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "filed"


@pytest.mark.parametrize(
    "latitude, longitude", [("NaN", "NaN"), ("nan", "113.1"), ("29.3", "-Infinity"), ("91", "113.1"), ("29.3", "181")]
)
@pytest.mark.parametrize("url", ["/orders/intake", "/orders/new"])
def test_a_location_that_is_not_a_place_is_refused(app, city, url, latitude, longitude):
    role = "intake" if url == "/orders/intake" else "collector"
    form = {
        "category": "0101",
        "description": "路灯不亮",
        "caller_name": "王先生",
        "grid": "430602001001001",
        "address": "洞庭路1号",
        "latitude": latitude,
        "longitude": longitude,
    }
    if url == "/orders/new":
        form["photos"] = [(io.BytesIO(jpeg()), "a.jpg")]  # all the report needs besides a place
    response = client_for(app, role).post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert in_db(app, lambda: WorkOrder.select().count()) == 0


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/audit?page={HUGE}",
        f"/admin/users?department={HUGE}",
        f"/admin/users?role={HUGE}",
        f"/admin/users?page={HUGE}",
        f"/grids/responsibility/?area={HUGE}",
        f"/grids/map.geojson?area={HUGE}",
        f"/orders/map.geojson?grid={HUGE}",
        f"/components/?grid_id={HUGE}",
    ],
)
def test_an_out_of_range_number_in_any_query_string_is_not_a_server_error(app, city, url):
    response = client_for(app, "admin").get(url)
    assert response.status_code in (200, 404), response.status_code
