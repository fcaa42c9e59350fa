"""Maps in Chromium: an administrator imports grid shapes, sees them drawn on the grid map and clicks one to
reach its page; a case page shows its pin and grid; on the responsibility page grids are selected by
clicking them on the map and assigned; on the phone report form a tap on the map fills the location."""

import json
import re
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from core.db import db
from tests.e2e.support import PHONE, as_user, serving
from tests.workorder_support import build_city, report

LON0, LAT0, STEP = 113.13, 29.37, 0.001
NEW_GRID = "430602001001002"


def square(i):
    pts = [(i, 0), (i + 1, 0), (i + 1, 1), (i, 1), (i, 0)]
    return {
        "type": "Polygon",
        "coordinates": [[[round(LON0 + x * STEP, 7), round(LAT0 + y * STEP, 7)] for x, y in pts]],
    }


def geojson_file(tmp_path, city):
    grids = [
        (city.grid.code, city.grid.name),
        (NEW_GRID, "洞庭社区2号网格"),
        (city.other_grid.code, city.other_grid.name),
    ]
    features = [
        {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": square(i)}
        for i, (code, name) in enumerate(grids)
    ]
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


@pytest.fixture
def city_server(make_app, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    with serving(app) as url:
        yield app, url, city


def import_shapes(page, base, path):
    page.goto(base + "/grids/import")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("input[name=crs][value=wgs84]").check()
    page.locator("input[name=accept_warnings]").check()
    page.locator("form button[type=submit]").click()
    expect(page.locator(".badge.green")).to_have_text("已导入", timeout=20000)


def test_imported_grids_are_drawn_on_the_map_and_lead_to_their_page(city_server, make_page, tmp_path):
    app, base, city = city_server
    admin = as_user(make_page, base, "admin")
    import_shapes(admin, base, geojson_file(tmp_path, city))
    admin.goto(base + "/grids/")
    expect(admin.locator("#grid-map[data-ready=true]")).to_be_visible()
    expect(admin.locator("#grid-map path.xh-area")).to_have_count(3)
    with app.test_request_context(), force_locale("zh_CN"):  # Leaflet's control titles, in the page's language
        zoom_in, zoom_out = gettext("Zoom in"), gettext("Zoom out")
    expect(admin.locator("#grid-map .leaflet-control-zoom-in")).to_have_attribute("title", zoom_in)
    expect(admin.locator("#grid-map .leaflet-control-zoom-out")).to_have_attribute("title", zoom_out)
    expect(admin.locator("#grid-map")).to_have_attribute("data-zoom-in", zoom_in)
    admin.screenshot(path=str(tmp_path / "grid-map.png"))
    admin.locator("#grid-map path.xh-area").nth(1).click()  # code order: the new grid is the second
    expect(admin).to_have_url(re.compile(r"/grids/\d+$"))
    expect(admin.locator("h1")).to_contain_text(NEW_GRID)
    expect(admin.locator("#grid-map path.xh-area")).to_have_count(1)  # the grid page draws its own shape


def test_case_page_shows_the_pin_coloured_by_its_light(city_server, make_page, tmp_path):
    app, base, city = city_server
    admin = as_user(make_page, base, "admin")
    import_shapes(admin, base, geojson_file(tmp_path, city))
    with app.app_context(), db.connection_context():
        order = report(city, longitude=Decimal("113.130400"), latitude=Decimal("29.370600"))
    admin.goto(f"{base}/orders/{order.id}")
    expect(admin.locator("#case-map[data-ready=true]")).to_be_visible()
    pin = admin.locator("#case-map path.xh-point")
    expect(pin).to_have_count(1)
    expect(pin).to_have_attribute("fill", "#2e7d32")  # just reported: green
    expect(admin.locator("#case-map path.xh-area")).to_have_count(1)  # its grid's outline
    admin.screenshot(path=str(tmp_path / "case.png"), full_page=True)
    pin.hover()
    expect(admin.locator(".leaflet-tooltip:not(.xh-label)")).to_contain_text(order.number)


def test_grids_selected_on_the_map_are_assigned(city_server, make_page, tmp_path):
    _app, base, city = city_server
    admin = as_user(make_page, base, "admin")
    import_shapes(admin, base, geojson_file(tmp_path, city))
    admin.goto(base + "/grids/responsibility/")
    expect(admin.locator("#assign-map[data-ready=true]")).to_be_visible()
    areas = admin.locator("#assign-map path.xh-area")
    expect(areas).to_have_count(3)
    areas.nth(0).click()
    areas.nth(2).click()
    areas.nth(1).click()
    areas.nth(1).click()  # a second click drops it again
    expect(admin.locator("#grid-count")).to_have_text("2")
    expect(admin.locator("#grid-ids option:checked")).to_have_count(2)
    admin.locator("#department").select_option(label="环卫处")
    admin.locator("#user").select_option(label="Handler")
    admin.locator("button[value=assign]").click()
    expect(admin.locator(".flash-success")).to_be_visible()
    admin.goto(f"{base}/grids/{city.other_grid.id}")
    expect(admin.locator("#section-responsibility")).to_contain_text("Handler")


def test_a_tap_on_the_report_forms_map_fills_the_location(city_server, make_page, tmp_path):
    _app, base, city = city_server
    admin = as_user(make_page, base, "admin")
    import_shapes(admin, base, geojson_file(tmp_path, city))
    collector = as_user(make_page, base, "collector", viewport=PHONE, is_mobile=True, has_touch=True)
    collector.goto(base + "/orders/new")
    collector.locator("details.map-pick summary").click()
    expect(collector.locator("#pick-map[data-ready=true]")).to_be_visible()
    expect(collector.locator("#pick-map path.xh-area")).to_have_count(2)  # the collector's own grids
    collector.locator("#pick-map path.xh-area").first.click()
    expect(collector.locator("#longitude")).to_have_value(re.compile(r"^113\.130\d+$"))
    expect(collector.locator("#latitude")).to_have_value(re.compile(r"^29\.370\d+$"))
    expect(collector.locator("#pick-map path.xh-picked")).to_have_count(1)


def test_map_js_shifts_to_gcj02_like_the_server(city_server, make_page):
    from core.grids.geo import gcj02_to_wgs84, wgs84_to_gcj02

    _app, base, _city = city_server
    admin = as_user(make_page, base, "admin")
    admin.goto(base + "/grids/")
    expect(admin.locator("#grid-map[data-ready=true]")).to_be_attached()
    for lon, lat in [(113.13, 29.37), (116.397, 39.909), (121.47, 31.23)]:
        shifted = admin.evaluate(f"XiuhuaMap.toGcj({lon}, {lat})")
        assert shifted == pytest.approx(list(wgs84_to_gcj02(lon, lat)), abs=1e-9)
        back = admin.evaluate(f"XiuhuaMap.fromGcj({shifted[0]}, {shifted[1]})")
        assert back == pytest.approx(list(gcj02_to_wgs84(*shifted)), abs=1e-8)
        assert back == pytest.approx([lon, lat], abs=1e-8)


HIDE = "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
SHOW = "Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});"
CHANGED = "document.dispatchEvent(new Event('visibilitychange'));"


def test_the_dashboard_map_fetches_only_the_layers_shown_and_not_while_the_page_is_hidden(
    make_app, make_page, tmp_path
):
    app = make_app(WTF_CSRF_ENABLED=True, DASHBOARD_REFRESH_SECONDS=1)
    city = build_city()
    with serving(app) as base:
        admin = as_user(make_page, base, "admin")
        import_shapes(admin, base, geojson_file(tmp_path, city))
        requested = []
        admin.on("request", lambda request: requested.append(request.url.removeprefix(base)))

        def fetched(prefix):
            return sum(1 for url in requested if url.startswith(prefix))

        admin.goto(base + "/")
        expect(admin.locator("#dashboard-map[data-ready=true]")).to_be_visible()
        expect(admin.locator("#dashboard-map path.xh-area")).to_have_count(3)
        admin.wait_for_timeout(2500)  # two refreshes or more
        assert fetched("/grids/map.geojson") >= 2  # the layer shown is refreshed
        assert fetched("/components/map.geojson") == 0  # switched off at first: not fetched, nor refreshed

        admin.evaluate(HIDE + CHANGED)
        admin.wait_for_timeout(300)  # a request already on its way
        grids, widgets = fetched("/grids/map.geojson"), fetched("/dashboard/widgets/")
        admin.wait_for_timeout(2500)
        assert fetched("/grids/map.geojson") == grids  # hidden: no refresh of the map...
        assert fetched("/dashboard/widgets/") == widgets  # ...nor of the widgets

        admin.evaluate(SHOW + CHANGED)  # shown again: what was missed is fetched at once
        admin.wait_for_timeout(500)
        assert fetched("/grids/map.geojson") > grids
        assert fetched("/dashboard/widgets/") > widgets
        assert fetched("/components/map.geojson") == 0

        with app.test_request_context(), force_locale("zh_CN"):
            components = gettext("Components")
        with admin.expect_response(lambda response: "/components/map.geojson" in response.url):
            admin.locator("#dashboard-map .leaflet-control-layers-overlays label", has_text=components).click()
        assert fetched("/components/map.geojson") == 1  # fetched once, when switched on
