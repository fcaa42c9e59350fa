"""Maps: the GeoJSON layers (permissions, row scoping, colours, the measures registry), the map on the grid,
grid-list and case pages, the report form's "pick on the map", the tile server in the CSP, and the demo
city's case locations."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from core import clock
from core import map_layers as maps
from core.db import db
from core.workorders import case_maps, clocks, states, workflow
from core.workorders import demo_locations as maps_demo
from core.workorders.models import WorkOrder
from tests.support import create_user, login
from tests.workorder_support import build_city, report, shapes


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


@pytest.fixture
def city(app):
    city = build_city()
    with app.app_context(), db.connection_context():
        shapes(city.grid, city.other_grid)
    return city


def client_of(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    client.post("/lang", data={"lang": "en"})
    return client


@pytest.fixture
def placed(app, city):
    """placed(grid=None, lon=..., lat=...) → a reported case with a location (the first grid by default);
    placed(located=False) → one without."""

    def make(grid=None, lon="113.130500", lat="29.370500", located=True, by="collector"):
        where = {"longitude": Decimal(lon), "latitude": Decimal(lat)} if located else {}
        with app.app_context(), db.connection_context():
            if by == "collector":
                return report(city, grid=grid or city.grid, **where)
            return workflow.create_order(
                city.users[by], "collector", category=city.category, description="x", grid=grid or city.grid, **where
            )

    return make


@pytest.fixture
def dispatched(app, city):
    def make(order, department):
        users = city.users
        with app.app_context(), db.connection_context():
            workflow.transition(
                order.id, "file", actor=users["shift_leader"], version=None, data={"standard": city.standard.id}
            )
            workflow.transition(
                order.id, "dispatch", actor=users["dispatcher"], version=None, data={"department": department.id}
            )

    return make


def geojson(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/geo+json"
    return json.loads(response.data)


# --- grid layer ----------------------------------------------------------------------------------------


def test_grid_layer_counts_open_cases_per_grid_and_colours_them(app, city, placed):
    placed()
    placed()
    admin = client_of(app, "admin")
    data = geojson(admin, "/grids/map.geojson?measure=open")
    by_code = {f["properties"]["label"].split()[-1]: f["properties"] for f in data["features"]}
    assert set(by_code) == {city.grid.code, city.other_grid.code}
    first, other = by_code[city.grid.code], by_code[city.other_grid.code]
    assert first["value"] == 2 and other["value"] == 0
    assert first["href"] == f"/grids/{city.grid.id}" and first["id"] == city.grid.id
    assert other["color"] == maps.GREEN and first["color"] != maps.GREEN
    assert [row[0] for row in data["legend"]][0] == maps.GREEN
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_grid_layer_overdue_measure_and_unknown_measure(app, city, placed, dispatched):
    order = placed()
    dispatched(order, city.sanitation)
    with app.app_context(), db.connection_context():
        past = clock.now() - timedelta(hours=1)
        WorkOrder.update(due_at=past).where(WorkOrder.id == order.id).execute()
    admin = client_of(app, "admin")
    values = {
        f["properties"]["id"]: f["properties"]["value"]
        for f in geojson(admin, "/grids/map.geojson?measure=overdue")["features"]
    }
    assert values == {city.grid.id: 1, city.other_grid.id: 0}
    assert admin.get("/grids/map.geojson?measure=nonsense").status_code == 404
    plain = geojson(admin, "/grids/map.geojson")
    assert all("value" not in f["properties"] for f in plain["features"]) and "legend" not in plain


def test_grid_layer_counts_only_cases_the_viewer_may_see(app, city, placed):
    placed()  # in the collector's grid
    placed(grid=city.other_grid, lon="113.131500", by="other_collector")
    collector = client_of(app, "collector")
    values = {
        f["properties"]["id"]: f["properties"]["value"]
        for f in geojson(collector, "/grids/map.geojson?measure=open")["features"]
    }
    assert values == {city.grid.id: 1, city.other_grid.id: 0}


def test_grid_layer_area_and_mine_filters(app, city):
    admin = client_of(app, "admin")
    one = geojson(admin, f"/grids/map.geojson?area={city.grid.parent_id}")["features"]
    assert [f["properties"]["id"] for f in one] == [city.grid.id]
    mine = geojson(client_of(app, "collector"), "/grids/map.geojson?mine=1")["features"]
    assert [f["properties"]["id"] for f in mine] == [city.grid.id]
    assert admin.get("/grids/map.geojson?area=999999").status_code == 404


def test_a_registered_measure_is_offered_and_coloured_by_its_bands(app, city, monkeypatch):
    bands = [maps.Band(0, maps.RED, "< 60"), maps.Band(60, maps.YELLOW, "60–89"), maps.Band(90, maps.GREEN, "≥ 90")]
    measure = maps.Measure("score", "Score", lambda user: {city.grid.id: 95}, lambda values: bands)
    with app.app_context():
        registered = maps.measures()
    monkeypatch.setattr(maps, "measures", lambda: {**registered, "score": measure})
    admin = client_of(app, "admin")
    data = geojson(admin, "/grids/map.geojson?measure=score")
    colours = {
        f["properties"]["id"]: (f["properties"]["color"], f["properties"].get("value")) for f in data["features"]
    }
    assert colours == {city.grid.id: (maps.GREEN, 95), city.other_grid.id: (maps.GREY, None)}
    assert data["legend"][-1] == [maps.GREY, "No data"]
    page = admin.get("/grids/?measure=score").get_data(as_text=True)
    assert '<option value="score" selected>Score</option>' in page


def test_count_bands_split_the_data():
    assert maps.count_bands({}) == [maps.Band(0, maps.GREEN, "0")]
    bands = maps.count_bands({i: v for i, v in enumerate([0, 1, 1, 2, 3, 5, 8, 13, 21, 40])})
    assert [b.colour for b in bands] == [maps.GREEN, maps.YELLOW, maps.ORANGE, maps.RED]
    assert [maps.colour_of(v, bands) for v in (0, 1, 5, 40, None)][0] == maps.GREEN
    assert maps.colour_of(40, bands) == maps.RED and maps.colour_of(None, bands) == maps.GREY


def test_grid_layers_need_grids_view_and_a_login(app, city):
    anonymous = app.test_client().get("/grids/map.geojson?measure=open")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client_of(app, "handler").get("/grids/map.geojson?measure=open").status_code == 403


# --- case pins -----------------------------------------------------------------------------------------


def test_pins_are_scoped_like_the_lists(app, city, placed, dispatched):
    ours = placed()
    theirs = placed(lon="113.130700")
    placed(located=False)  # a case without a location has no pin
    dispatched(ours, city.sanitation)
    dispatched(theirs, city.landscaping)

    def pins(username):
        return {f["properties"]["id"] for f in geojson(client_of(app, username), "/orders/map.geojson")["features"]}

    assert pins("admin") == {ours.id, theirs.id}
    assert pins("handler") == {ours.id}  # sanitation sees only its own
    assert pins("other_handler") == {theirs.id}
    assert pins("collector") == {ours.id, theirs.id}  # both in the collector's grid
    assert pins("other_collector") == set()


def test_pins_carry_light_colour_label_and_link(app, city, placed):
    order = placed()
    data = geojson(client_of(app, "admin"), "/orders/map.geojson")
    (pin,) = data["features"]
    assert pin["geometry"] == {"type": "Point", "coordinates": [113.1305, 29.3705]}
    assert pin["properties"]["href"] == f"/orders/{order.id}"
    assert pin["properties"]["label"].startswith(order.number)
    assert pin["properties"]["color"] == maps.GREEN  # just reported: the filing clock has barely started
    assert [row[0] for row in data["legend"]] == [maps.GREEN, maps.YELLOW, maps.RED, maps.GREY]
    grid_only = geojson(client_of(app, "admin"), f"/orders/map.geojson?grid={city.other_grid.id}")
    assert grid_only["features"] == []


def test_closed_cases_have_no_pin(app, city, placed):
    order = placed()
    with app.app_context(), db.connection_context():
        workflow.transition(order.id, "void", actor=city.users["shift_leader"], version=None, reason="duplicate")
    assert geojson(client_of(app, "admin"), "/orders/map.geojson")["features"] == []


def test_pin_layers_need_a_login_and_a_case_permission(app, city):
    anonymous = app.test_client().get("/orders/map.geojson")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    create_user("nobody")
    assert client_of(app, "nobody").get("/orders/map.geojson").status_code == 403


def test_one_case_pin_and_grid_answer_404_to_those_who_may_not_see_it(app, city, placed, dispatched):
    order = placed()
    dispatched(order, city.sanitation)
    handler = client_of(app, "handler")
    (pin,) = geojson(handler, f"/orders/{order.id}/pin.geojson")["features"]
    assert pin["properties"]["id"] == order.id
    (outline,) = geojson(handler, f"/orders/{order.id}/grid.geojson")["features"]  # without grids.view
    assert outline["geometry"]["type"] == "Polygon"
    other = client_of(app, "other_handler")
    assert other.get(f"/orders/{order.id}/pin.geojson").status_code == 404
    assert other.get(f"/orders/{order.id}/grid.geojson").status_code == 404


# --- pages ---------------------------------------------------------------------------------------------


def test_case_page_has_a_map_only_with_coordinates(app, city, placed):
    with_location = placed()
    without = placed(located=False)
    admin = client_of(app, "admin")
    page = admin.get(f"/orders/{with_location.id}").get_data(as_text=True)
    assert 'id="case-map"' in page and "leaflet.js" in page and "js/map.js" in page
    layers = json.loads(page.split('id="case-map"')[1].split('data-layers="')[1].split('"')[0].replace("&#34;", '"'))
    assert [layer["url"] for layer in layers] == [
        f"/orders/{with_location.id}/grid.geojson",
        f"/orders/{with_location.id}/pin.geojson",
    ]
    assert 'id="case-map"' not in admin.get(f"/orders/{without.id}").get_data(as_text=True)


def test_grid_list_has_the_map_with_a_measure_picker_and_the_pins_layer(app, city):
    admin = client_of(app, "admin")
    page = admin.get("/grids/?measure=overdue").get_data(as_text=True)
    assert 'id="grid-map"' in page and "/grids/map.geojson?measure=overdue" in page
    assert '<option value="overdue" selected>' in page and "/orders/map.geojson" in page
    create_user("viewer", "collector")  # collectors see cases; a role without case permissions does not
    with db.connection_context():
        from core.org import Role, RolePermission

        role = Role.create(code="mapper", name="Mapper")
        RolePermission.create(role=role, permission="grids.view")
    create_user("mapper", "mapper")
    mapper_page = client_of(app, "mapper").get("/grids/").get_data(as_text=True)
    assert "/grids/map.geojson?measure=open" in mapper_page and "/orders/map.geojson" not in mapper_page


def test_report_form_offers_pick_on_the_map(app, city):
    page = client_of(app, "collector").get("/orders/new").get_data(as_text=True)
    assert 'data-pick-lon="longitude"' in page and 'data-pick-lat="latitude"' in page
    assert 'id="longitude"' in page and "/grids/map.geojson?mine=1" in page


def test_csp_allows_only_the_configured_tile_origin(make_app):
    plain = make_app().test_client().get("/login")
    assert "img-src 'self' data: blob:;" in plain.headers["Content-Security-Policy"]
    app = make_app(MAP_TILE_URL="https://tiles.example.gov.cn:8443/osm/{z}/{x}/{y}.png")
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tiles.example.gov.cn:8443;" in csp
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp
    bad = make_app(MAP_TILE_URL="javascript:alert(1)//{z}").test_client().get("/login")
    assert "img-src 'self' data: blob:;" in bad.headers["Content-Security-Policy"]


def test_map_div_carries_the_tile_settings(make_app):
    app = make_app(MAP_TILE_URL="https://tiles.example.gov.cn/{z}/{x}/{y}.png", MAP_TILE_CRS="gcj02")
    build_city()
    client = client_of(app, "admin")
    page = client.get("/grids/").get_data(as_text=True)
    assert 'data-tile-url="https://tiles.example.gov.cn/{z}/{x}/{y}.png"' in page
    assert 'data-tile-crs="gcj02"' in page


def test_demo_cases_get_locations_inside_their_grids(app, load_demo):
    import shapely

    from core.grids.models import shape_of

    load_demo(app)
    with app.app_context(), db.connection_context():
        orders = list(WorkOrder.select().limit(50))
        assert orders and all(o.latitude is not None for o in orders)
        for order in orders[:10]:
            assert shape_of(order.grid_id).shape.covers(shapely.Point(float(order.longitude), float(order.latitude)))
        assert maps_demo.place_demo_orders() == 0  # idempotent


def test_demo_city_has_responsible_people_for_every_grid_and_department(app, load_demo):
    from core import demo
    from core.areas import Area
    from core.org import Department
    from core.responsibility.models import Responsibility

    load_demo(app)
    with app.app_context(), db.connection_context():
        grids = Area.select().where(Area.level == "grid").count()
        for department in Department.select().where(Department.type == "professional"):
            covered = Responsibility.select(Responsibility.area).where(Responsibility.department == department)
            assert covered.distinct().count() == grids, department.code
        rows = Responsibility.select().count()
        demo.load(app)
        assert Responsibility.select().count() == rows


LOCATE = {"HX-Request": "true", "HX-Target": "location-grid"}


def test_the_location_picker_shows_the_grid_found_before_saving(app, city):
    """The report form's location picker asks the grids' locate page for its fragment (issue 11)."""
    client = client_of(app, "collector")
    found = client.get("/grids/locate?lon=113.1305&lat=29.3705", headers=LOCATE)
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert 'id="location-grid"' in html and 'data-code="430602001001001"' in html
    assert "Unit grid found from the location:" in html and city.grid.name in html
    assert "<form" not in html and "<html" not in html  # the fragment alone
    elsewhere = client.get("/grids/locate?lon=113.1315&lat=29.3705", headers=LOCATE).get_data(as_text=True)
    assert city.other_grid.name in elsewhere  # another collector's grid is still named
    outside = client.get("/grids/locate?lon=113.6&lat=29.9", headers=LOCATE)
    assert outside.status_code == 200
    assert "Outside every unit grid" in outside.get_data(as_text=True)
    for query in ("lon=abc&lat=29.37", "lon=200&lat=29.37", "lon=113.13", "lon=nan&lat=nan"):
        refused = client.get(f"/grids/locate?{query}", headers=LOCATE)
        assert refused.status_code == 422, query
        assert 'id="location-grid"' in refused.get_data(as_text=True)
    # The locate page itself is unchanged: a page, or its own fragment.
    assert "<form" in client.get("/grids/locate?lon=113.1305&lat=29.3705").get_data(as_text=True)


def test_both_forms_share_the_location_picker(app, city):
    client = client_of(app, "collector")
    for url in ("/orders/new", "/campaigns/zombie-cars/new"):
        html = client.get(url).get_data(as_text=True)
        assert html.count('class="location-picker"') == 1, url
        assert 'class="use-gps"' in html and 'id="location-grid"' in html and 'id="pick-map"' in html, url
        assert "/static/js/location.js" in html, url
    zombie = client.get("/campaigns/zombie-cars/new").get_data(as_text=True)
    assert 'data-lon="longitude" data-lat="latitude"' in zombie
    assert 'data-pick-lon="longitude" data-pick-lat="latitude"' in zombie


def test_without_grids_view_the_picker_has_gps_but_no_grid_lookup(app, city):
    from core.org import Role, RolePermission

    with app.app_context(), db.connection_context():
        RolePermission.delete().where(
            (RolePermission.role == Role.get(Role.code == "collector")) & (RolePermission.permission == "grids.view")
        ).execute()
    html = client_of(app, "collector").get("/orders/new").get_data(as_text=True)
    assert 'class="use-gps"' in html
    assert "data-locate-url" not in html and 'id="location-grid"' not in html


def test_the_component_layer_answers_what_each_component_says_of_itself(app, load_demo, client_for):
    """The census layer is built from plain rows (issue 11): the same points as from the models."""
    from flask import url_for

    from core import demo
    from core.components.models import Component

    load_demo(app)
    client = client_for(app, "admin", demo.DEMO_PASSWORD)
    features = client.get("/components/map.geojson").get_json()["features"]
    with app.test_request_context(), db.connection_context():
        components = list(Component.select().order_by(Component.id))
        assert len(features) == len(components) > 100
        for feature, c in zip(features, components, strict=True):
            assert feature["properties"] == {
                "label": f"{c.name} {c.code}",
                "href": url_for("components.show", component_id=c.id),
                "color": c.colour,
                "value": str(c.status_label),
            }
            expected = json.loads(app.json.dumps([c.longitude, c.latitude]))
            assert feature["geometry"] == {"type": "Point", "coordinates": expected}


def test_the_open_cases_pins_are_those_of_the_whole_cases(app, load_demo, client_for):
    """The pins are built from the few columns they show (issue 11): the same as from the whole cases."""
    from core import demo

    load_demo(app)
    client = client_for(app, "dispatcher", demo.DEMO_PASSWORD)
    features = client.get("/orders/map.geojson").get_json()["features"]
    with app.test_request_context(), db.connection_context():
        now = clock.now()
        orders = {o.id: o for o in WorkOrder.select().where(WorkOrder.status.in_(list(states.OPEN)))}
        assert len(features) > 50
        for got in features:
            order = orders[got["properties"]["id"]]
            assert got == json.loads(case_maps._pin(order, clocks.light(order, now)))
