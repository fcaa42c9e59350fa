"""The component census: the ID rule, the CSV import (bad rows by line, all-or-nothing, --skip-bad, GBK,
idempotence, status history), the pages, reporting a problem from a component, order scoping, the map
layer and the exports."""

import datetime
import io
import re
import threading
from pathlib import Path

import openpyxl
import pytest

from core.areas import Area
from core.audit import AuditEntry
from core.components import census
from core.components.models import Component, ComponentImport, ComponentStatusChange
from core.components.views import grid_components
from core.db import db
from core.grids.geo import wgs84_to_gcj02
from core.grids.index import locate
from core.workorders import workflow
from core.workorders.models import WorkOrder
from tests.component_support import HEADER, build_census_city, csv_bytes, imported, row, run
from tests.support import client_for
from tests.workorder_support import jpeg

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "components" / "sample.csv"
HTMX_POLL = {"HX-Request": "true", "HX-Target": "import-progress"}


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English messages."""
    return english_xiuhua_app


@pytest.fixture
def city(app):
    return build_census_city()


def count():
    with db.connection_context():
        return Component.select().count()


# --- the ID rule -------------------------------------------------------------------------------------


def test_id_rule_16_digits_for_2013_and_17_for_2026(app):
    with app.test_request_context():
        assert census.id_problem("4306020101000001", "2013") is None
        assert census.id_problem("43060201001000001", "2026") is None
        assert "2013 catalogue" in census.id_problem("43060201001000001", "2013")
        assert "has 15 digits" in census.id_problem("430602010100001", "2013")
        assert "not made of digits" in census.id_problem("43060201010000A1", "2013")
        assert "format the ID column as text" in census.id_problem("4.30602E+15", "2013")
        assert census.type_code("4306020101000001", "2013") == "0101"
        assert census.type_code("43060201001000001", "2026") == "01001"


def test_a_valid_16_digit_row_is_imported_with_its_grid_and_maintainer(app, city):
    result = run(app, csv_bytes(row()))
    assert result.written and result.rejected == [] and result.counts["created"] == 1
    with db.connection_context():
        component = Component.get()
        assert (component.code, component.status, component.grid_id) == ("4306020101000001", "intact", city.grid.id)
        assert component.category.code == "0101" and component.category.kind == "component"
        assert component.maintainer_id == city.sanitation.id  # "环卫处" is a department of the system
        assert str(component.survey_date) == "2025-05-01"
        history = list(ComponentStatusChange.select())
        assert [(h.from_status, h.to_status) for h in history] == [("", "intact")]


def test_17_digit_ids_in_a_2026_installation(make_app):
    app = make_app(CATALOGUE_EDITION="2026")
    test_city = build_census_city()
    result = run(app, csv_bytes(row(code="43060201001000001", type_code="01001")))
    assert result.written and result.counts["created"] == 1, result.rejected
    rejected = run(app, csv_bytes(row(code="4306020101000002")), dry_run=True).rejected
    assert rejected and "2026 catalogue" in rejected[0][1] and "17 digits" in rejected[0][1]
    assert test_city.grid.code.startswith("430602")


BAD_ROWS = [
    (row(code="430602010100001"), "has 15 digits"),
    (row(code="43060201010000001"), "2013 catalogue"),
    (row(code="4306030101000003"), "begins with 430603, but its point lies in grid 430602001001001"),
    (row(code="4306020199000004"), "type code 0199"),
    (row(code="4306020102000005", type_code="0101"), "type code 0102, but the row says 0101"),
    (row(code="4306020101000006", lon="east"), "must be numbers"),
    (row(code="4306020101000007", lon=29.305, lat=113.105), "seem swapped"),
    (row(code="4306020101000008", lon=113.2, lat=29.305), "outside every unit grid"),
    (row(code="4306020101000001", lon=113.101), "already on line 2"),
    (row(code="4306020101000010"), "at the same place is already on line 2"),
    (row(code="4306020101000011", status="坏了", lon=113.102), "is not one of 完好"),
    (row(code="4306020101000012", date="May 1st", lon=113.103), "is not a date"),
    (row(code="4306020101000013", name="", lon=113.104), "name (部件名称) is empty"),
    ("4306020101000014,上水井盖", "has 2 fields"),
]


def test_each_bad_row_is_reported_by_line_and_nothing_is_written(app, city):
    data = csv_bytes(row(), *[text for text, _why in BAD_ROWS])
    result = run(app, data)
    assert not result.written
    assert [line for line, _reason in result.rejected] == list(range(3, 3 + len(BAD_ROWS)))
    for (line, reason), (_text, expected) in zip(result.rejected, BAD_ROWS, strict=True):
        assert expected in reason, f"line {line}: {reason}"
    assert count() == 0
    with db.connection_context():
        assert ComponentStatusChange.select().count() == 0


def test_a_second_id_for_a_component_already_in_the_database_is_refused(app, city):
    run(app, csv_bytes(row()))
    result = run(app, csv_bytes(row(code="4306020101000099")))
    assert result.rejected == [(2, "A 上水井盖 at the same place is already recorded as 4306020101000001.")]
    assert count() == 1


def test_skip_bad_imports_the_good_rows(city, app, tmp_path):
    path = tmp_path / "census.csv"
    path.write_bytes(
        csv_bytes(row(), row(code="4306020101000002", lon=113.2), row(code="4306020101000003", lon=113.115))
    )
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["components", "import", str(path)])
    assert refused.exit_code == 1
    assert "line 3: The point 113.2, 29.305 is outside every unit grid" in refused.output
    assert "nothing was written" in refused.output and count() == 0
    skipped = runner.invoke(args=["components", "import", str(path), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert "2 created" in skipped.output and "1 bad rows skipped" in skipped.output
    with db.connection_context():
        assert {c.code: c.grid_id for c in Component.select()} == {
            "4306020101000001": city.grid.id,
            "4306020101000003": city.other_grid.id,
        }


def test_a_gbk_file_as_chinese_excel_saves_it(app, city):
    result = run(app, csv_bytes(row(status="破损"), encoding="gbk"))
    assert result.written, result.rejected
    with db.connection_context():
        component = Component.get()
        assert (component.name, component.status, component.address) == ("上水井盖", "damaged", "人民路")


def test_utf8_with_bom_and_english_headers(app, city):
    header = "code,name,status,longitude,latitude\n"
    data = "\ufeff".encode() + csv_bytes("4306020101000001,manhole,intact,113.105,29.305", header=header)
    assert run(app, data).counts["created"] == 1


def test_gcj02_coordinates_are_converted_on_import(app, city):
    lon, lat = wgs84_to_gcj02(113.105, 29.305)
    result = run(app, csv_bytes(row(lon=f"{lon:.7f}", lat=f"{lat:.7f}")), crs="gcj02")
    assert result.written, result.rejected
    with db.connection_context():
        component = Component.get()
        assert abs(component.longitude - 113.105) < 1e-6 and abs(component.latitude - 29.305) < 1e-6


def test_a_file_without_the_required_columns_is_refused_whole(app, city):
    with pytest.raises(census.ImportFileError, match="lacks these columns: 经度"):
        run(app, csv_bytes("4306020101000001,x,完好,29.3", header="部件标识码,部件名称,部件状态,纬度\n"))
    with pytest.raises(census.ImportFileError, match="has the column 部件名称 twice"):
        run(app, csv_bytes("1,x,y,完好,1,2", header="部件标识码,部件名称,name,部件状态,经度,纬度\n"))
    with pytest.raises(census.ImportFileError, match="not a component census header"):
        run(app, b"kind,code,name\ncomponent,0101,x\n")


def test_reimport_changes_nothing_and_a_changed_status_is_recorded(app, city):
    data = csv_bytes(row(), row(code="4306020102000002", name="污水井盖", type_code="0102", lon=113.106))
    run(app, data)
    again = run(app, data)
    assert again.counts == {"created": 0, "updated": 0, "status_changed": 0, "unchanged": 2}
    with db.connection_context():
        assert ComponentStatusChange.select().count() == 2
    changed = run(
        app, csv_bytes(row(status="丢失"), row(code="4306020102000002", name="污水井盖", type_code="0102", lon=113.106))
    )
    assert changed.counts == {"created": 0, "updated": 0, "status_changed": 1, "unchanged": 1}
    with db.connection_context():
        component = Component.get(Component.code == "4306020101000001")
        assert component.status == "missing"
        last = (
            ComponentStatusChange.select()
            .where(ComponentStatusChange.component == component)
            .order_by(ComponentStatusChange.id.desc())
            .get()
        )
        assert (last.from_status, last.to_status, last.note) == ("intact", "missing", "test.csv")


# --- pages -------------------------------------------------------------------------------------------


def test_list_filters_by_grid_category_and_status(app, city):
    imported(app, city)
    collector = client_for(app, "collector")
    page = collector.get("/components/")
    assert page.status_code == 200 and "2 components" in page.get_data(as_text=True)
    assert "1 components" in collector.get(f"/components/?grid={city.other_grid.code}").get_data(as_text=True)
    assert "1 components" in collector.get(f"/components/?grid_id={city.grid.id}").get_data(as_text=True)
    assert "1 components" in collector.get("/components/?category=0102").get_data(as_text=True)
    fragment = collector.get(
        "/components/?status=damaged", headers={"HX-Request": "true", "HX-Target": "component-rows"}
    )
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "4306020102000002" in body and "4306020101000001" not in body
    assert client_for(app, "handler").get("/components/").status_code == 403


def test_component_page_and_status_change_are_audited(app, city):
    component = imported(app, city)["4306020101000001"]
    admin = client_for(app, "admin")
    page = admin.get(f"/components/{component.id}").get_data(as_text=True)
    assert "上水井盖" in page and 'id="status-form"' in page and 'class="xh-map"' in page
    response = admin.post(
        f"/components/{component.id}/status", data={"status": "damaged", "current": "intact", "note": "cracked"}
    )
    assert response.status_code == 302
    with db.connection_context():
        assert Component.get_by_id(component.id).status == "damaged"
        change = ComponentStatusChange.select().order_by(ComponentStatusChange.id.desc()).get()
        assert (change.from_status, change.to_status, change.note, change.by.username) == (
            "intact",
            "damaged",
            "cracked",
            "admin",
        )
        entry = AuditEntry.get(AuditEntry.action == "components.status")
        assert entry.before["status"] == "intact" and entry.after == {"status": "damaged", "note": "cracked"}
    history = admin.get(f"/components/{component.id}").get_data(as_text=True)
    assert re.search(r"<td>Intact</td>\s*<td>Damaged</td>", history)
    stale = admin.post(f"/components/{component.id}/status", data={"status": "removed", "current": "intact"})
    assert stale.status_code == 409 and "Someone changed the status" in stale.get_data(as_text=True)
    with db.connection_context():
        assert Component.get_by_id(component.id).status == "damaged"
    collector = client_for(app, "collector")
    assert 'id="status-form"' not in collector.get(f"/components/{component.id}").get_data(as_text=True)
    assert (
        collector.post(
            f"/components/{component.id}/status", data={"status": "removed", "current": "damaged"}
        ).status_code
        == 403
    )
    assert admin.get("/components/999999").status_code == 404


def test_report_a_problem_from_a_component_prefills_and_links_the_case(app, city):
    component = imported(app, city)["4306020101000001"]
    collector = client_for(app, "collector")
    page = collector.get(f"/components/{component.id}").get_data(as_text=True)
    link = re.search(r'id="report-problem" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    form = collector.get(link).get_data(as_text=True)
    assert 'name="category" list="category-list" value="0101 上水井盖"' in form
    assert f'name="grid" list="grid-list" value="{city.grid.code} {city.grid.name}"' in form
    assert 'name="latitude" inputmode="decimal" value="29.305000"' in form
    assert f'name="component" value="{component.id}"' in form
    data = {
        "component": str(component.id),
        "category": "0101 上水井盖",
        "grid": city.grid.code,
        "latitude": "29.305000",
        "longitude": "113.105000",
        "description": "井盖破损",
        "photos": (io.BytesIO(jpeg()), "p.jpg"),
    }
    response = collector.post("/orders/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.connection_context():
        order = WorkOrder.get()
        assert (
            order.component_id == component.id and order.category.code == "0101" and order.category.kind == "component"
        )
    listed = collector.get(f"/components/{component.id}").get_data(as_text=True)
    assert order.number in listed
    case = collector.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'<a href="/components/{component.id}" id="order-component">上水井盖 4306020101000001</a>' in case
    bad = dict(data, component="999999", photos=(io.BytesIO(jpeg()), "p.jpg"))
    refused = collector.post("/orders/new", data=bad, content_type="multipart/form-data")
    assert refused.status_code == 422 and "There is no such component." in refused.get_data(as_text=True)


def test_component_page_lists_only_the_cases_the_user_may_see(app, city):
    component = imported(app, city)["4306020101000001"]
    with app.test_request_context(), db.connection_context():
        order = workflow.create_order(
            city.users["collector"],
            "collector",
            category=city.category,
            grid=city.grid,
            description="x",
            component=component,
        )
    assert order.number in client_for(app, "dispatcher").get(f"/components/{component.id}").get_data(as_text=True)
    assert order.number in client_for(app, "collector").get(f"/components/{component.id}").get_data(as_text=True)
    other = client_for(app, "other_collector").get(f"/components/{component.id}").get_data(as_text=True)
    assert order.number not in other and "No cases about this component." in other


def test_geojson_layer_needs_the_permission_and_is_styled(app, city):
    components = imported(app, city)
    assert app.test_client().get("/components/map.geojson").status_code in (302, 401)
    assert client_for(app, "handler").get("/components/map.geojson").status_code == 403
    collector = client_for(app, "collector")
    response = collector.get("/components/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    features = response.get_json()["features"]
    by_label = {f["properties"]["label"]: f for f in features}
    intact = by_label["上水井盖 4306020101000001"]
    assert intact["geometry"] == {"type": "Point", "coordinates": [113.105, 29.305]}
    assert intact["properties"]["color"] == "#2e7d32"
    assert intact["properties"]["href"] == f"/components/{components['4306020101000001'].id}"
    assert by_label["污水井盖 4306020102000002"]["properties"]["color"] == "#f9a825"
    one_grid = collector.get(f"/components/map.geojson?grid={city.other_grid.id}").get_json()["features"]
    assert [f["properties"]["label"] for f in one_grid] == ["污水井盖 4306020102000002"]


def test_grid_components_for_the_grid_page(app, city):
    imported(app, city)
    with app.test_request_context(), db.connection_context():
        summary = grid_components(city.other_grid)
    assert summary["total"] == 1
    assert [(key, n) for key, _label, n in summary["by_status"]] == [("damaged", 1)]
    assert summary["layer"]["url"] == f"/components/map.geojson?grid={city.other_grid.id}"
    assert summary["layer"]["kind"] == "points" and summary["layer"]["cluster"] is True


def test_exports_round_trip(app, city):
    imported(app, city)
    collector = client_for(app, "collector")
    exported = collector.get("/components/export.csv")
    assert exported.status_code == 200 and exported.data.startswith("\ufeff部件标识码".encode())
    assert run(app, exported.data).counts == {"created": 0, "updated": 0, "status_changed": 0, "unchanged": 2}
    workbook = collector.get("/components/export.xlsx?status=damaged")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    assert (
        sheet["A1"].value == "部件标识码" and sheet["A2"].value == "4306020102000002" and sheet["D2"].value == "Damaged"
    )
    assert sheet["A3"].value is None


# --- the admin page ----------------------------------------------------------------------------------


def finish_import(client, location: str, bound=3000) -> str:
    """Poll the progress fragment as the page does, until it stops asking to be polled."""
    for _ in range(bound):
        body = client.get(location, headers=HTMX_POLL).get_data(as_text=True)
        assert "<html" not in body
        if "every 1s" not in body:
            for thread in threading.enumerate():
                if thread.name.startswith("component_import-"):
                    thread.join(10)
            return body
    pytest.fail("the import did not finish")


def test_admin_page_imports_in_the_background(app, city):
    admin = client_for(app, "admin")
    assert admin.get("/components/import").status_code == 200
    assert client_for(app, "collector").get("/components/import").status_code == 403
    data = csv_bytes(row(), row(code="4306020101000002", lon=113.2))
    form = {"file": (io.BytesIO(data), "普查.csv"), "crs": "wgs84"}
    response = admin.post("/components/import", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    body = finish_import(admin, response.headers["Location"])
    assert '<td class="nowrap">3</td>' in body and count() == 0
    form = {"file": (io.BytesIO(data), "普查.csv"), "crs": "wgs84", "skip_bad": "y"}
    body = finish_import(
        admin, admin.post("/components/import", data=form, content_type="multipart/form-data").headers["Location"]
    )
    assert '<td data-count="created">1</td>' in body and count() == 1
    with db.connection_context():
        assert [job.status for job in ComponentImport.select().order_by(ComponentImport.id)] == ["rejected", "done"]
    broken = {"file": (io.BytesIO(b"\x89PNG\r\n\x00"), "x.csv"), "crs": "wgs84"}
    refused = admin.post("/components/import", data=broken, content_type="multipart/form-data")
    assert refused.status_code == 422 and "not a text file" in refused.get_data(as_text=True)


# --- the demo and the sample file --------------------------------------------------------------------


def test_demo_components_have_valid_ids_and_the_sample_file_imports(demo_app):
    with demo_app.app_context(), db.connection_context():
        components = list(Component.select(Component, Area).join(Area))
        assert len(components) == demo_app.config["DEMO_COMPONENTS"] == 3000
        for c in components[:500]:
            assert census.id_problem(c.code, "2013") is None and c.code[:6] == c.grid.code[:6]
            assert locate(c.longitude, c.latitude).id == c.grid_id
    runner = demo_app.test_cli_runner()
    first = runner.invoke(args=["components", "import", str(SAMPLE)])
    assert first.exit_code == 0 and "20 created" in first.output, first.output
    second = runner.invoke(args=["components", "import", str(SAMPLE)])
    assert "20 unchanged" in second.output


def test_the_grid_page_shows_its_components_and_the_maps_have_their_layer(app, city):
    imported(app, city)
    admin = client_for(app, "admin")
    page = admin.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    section = page[page.index('id="section-components"') :]
    assert "1 component:" in section and f"/components/?grid_id={city.grid.id}" in section
    assert f"/components/map.geojson?grid={city.grid.id}" in page  # the grid page's map has the layer
    assert "/components/map.geojson" in admin.get("/grids/").get_data(as_text=True)  # so has the city map
    with db.connection_context():
        Component.delete().execute()
    empty = admin.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert "No components are recorded for this grid yet." in empty


def test_the_admin_imports_a_census_saved_as_an_excel_workbook(app, city):
    """As Excel keeps a census: codes as text, the date as a date, coordinates as numbers."""
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    for code, lon in (("4306020101000001", 113.105), ("4306020101000002", 113.11)):
        book.active.append(
            [code, "上水井盖", "0101", "完好", "环卫处", datetime.datetime(2025, 5, 1), lon, 29.305, "人民路"]
        )
    data = io.BytesIO()
    book.save(data)
    admin = client_for(app, "admin")
    form = {"file": (io.BytesIO(data.getvalue()), "普查.xlsx"), "crs": "wgs84"}
    response = admin.post("/components/import", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    body = finish_import(admin, response.headers["Location"])
    assert '<td data-count="created">2</td>' in body and count() == 2
    with db.connection_context():
        assert str(Component.get(Component.code == "4306020101000001").survey_date) == "2025-05-01"
