"""Unit-grid geometry: GCJ-02 conversion against published pairs; codes; every geometry error named by
feature and code with nothing written; point-in-grid on boundaries, holes and outside; export/import round
trip and idempotence; redrawn grids keep their history and their work orders; the version seen by another
process; the demo city's shapes; the command line; the admin import with progress; permissions."""

import io
import json
import re
import threading
from datetime import date, timedelta

import pytest
import shapely

from core import settings
from core.areas import Area
from core.audit import AuditEntry
from core.db import db
from core.grids import index as grid_index
from core.grids.demo import demo_shapes
from core.grids.geo import area_m2, gcj02_to_wgs84, geometry_text, metres_per_degree, wgs84_to_gcj02
from core.grids.importer import ImportFileError, _shape_row, import_file
from core.grids.index import CHECK_EVERY, VERSION_KEY, GridIndex, locate
from core.grids.models import GridImport, GridShape, code_form, export_text, shape_of, shapes_on
from core.workorders.models import WorkOrder
from tests.support import PASSWORD, csrf_token

LON0, LAT0, STEP = 113.13, 29.37, 0.001  # test shapes are drawn in steps of 0.001° (about 97 m × 111 m)
DOTING, BINHU = "430602001001", "430602001002"
HTMX_POLL = {"HX-Request": "true", "HX-Target": "import-progress"}
DAY_ONE = date(2026, 1, 1)


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English messages (the Chinese ones are checked by tests/test_i18n.py)."""
    return english_xiuhua_app


@pytest.fixture
def as_role(as_role):
    """Logged-in clients that chose English."""

    def make(role):
        client = as_role(role)
        client.post("/lang", data={"lang": "en"})
        return client

    return make


def pt(x, y):
    return [round(LON0 + x * STEP, 7), round(LAT0 + y * STEP, 7)]


def ring(x0, y0, x1, y1):
    return [pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1), pt(x0, y0)]


def polygon(box, *holes):
    return {"type": "Polygon", "coordinates": [ring(*box), *(ring(*hole)[::-1] for hole in holes)]}


def feature(code, geometry, name=None):
    name = name or f"网格{str(code)[12:]}"
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def grid(n, box, *holes, community=DOTING, name=None):
    return feature(f"{community}{n:03d}", polygon(box, *holes), name)


def make_tree(*communities):
    district = Area.create(code="430602", name="岳阳楼区", level="district")
    street = Area.create(code="430602001", name="岳阳楼街道", level="street", parent=district)
    names = {DOTING: "洞庭社区", BINHU: "滨湖社区"}
    return {
        code: Area.create(code=code, name=names.get(code, "社区"), level="community", parent=street)
        for code in communities or (DOTING, BINHU)
    }


def outline(area, geometry: dict, since=DAY_ONE):
    geom = shapely.from_geojson(json.dumps(geometry))
    GridShape.insert(_shape_row(area.id, geom, geometry_text(geom), since, "test")).execute()


def run(data: bytes, crs="wgs84", valid_from=DAY_ONE, **options):
    return import_file(data, "grids.geojson", crs=crs, valid_from=valid_from, **options)


def state():
    return (
        Area.select().count(),
        GridShape.select().count(),
        AuditEntry.select().where(AuditEntry.action == "grids.import").count(),
    )


@pytest.fixture
def ctx(app):
    """An app context with a connection, as the command line has."""
    with app.app_context(), db.connection_context():
        yield app


@pytest.fixture
def tree(ctx):
    return make_tree()


# --- GCJ-02 ------------------------------------------------------------------------------------------

# (WGS84 lon, lat) → (GCJ-02 lon, lat). The first three are googollee/eviltransform's test data (Shanghai,
# Shenzhen, Beijing), the fourth wandergis/coordtransform's; both implement the published algorithm.
GCJ_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]


@pytest.mark.parametrize("wgs, gcj", GCJ_PAIRS)
def test_gcj02_matches_published_pairs_both_ways(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert abs(lon - gcj[0]) < 1e-9 and abs(lat - gcj[1]) < 1e-9
    lon, lat = gcj02_to_wgs84(*gcj)
    assert abs(lon - wgs[0]) < 1e-8 and abs(lat - wgs[1]) < 1e-8


def test_gcj02_tiananmen_pair_and_the_outside_of_china():
    lon, lat = wgs84_to_gcj02(116.397428, 39.90923)
    assert abs(lon - 116.403674) < 1e-5 and abs(lat - 39.910636) < 1e-5
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris: no offset outside China
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


# --- codes -------------------------------------------------------------------------------------------


def test_code_forms():
    assert code_form("430602001001001") == "current"
    assert code_form("43060200100101") == "legacy"
    for bad in ("", "4306020010010", "4306020010010011", "43060200100100A", "４３０６０２００１００１００１"):
        assert code_form(bad) is None


@pytest.mark.parametrize(
    "code, expected",
    [
        ("4306020010010", "has 13 digits: a unit-grid code has 15 digits (or 14"),
        ("4306020010010011", "has 16 digits"),
        ("43060200100100A", "is not made of digits"),
        ("", "has no code"),
        (None, "has no code"),
    ],
)
def test_codes_other_than_15_or_14_digits_are_refused(tree, code, expected):
    before = state()
    result = run(collection(feature(code, polygon((0, 0, 1, 1)))))
    assert len(result.errors) == 1 and expected in result.errors[0][2]
    assert state() == before


def test_a_legacy_14_digit_code_is_accepted_and_labelled(tree, app):
    result = run(collection(feature("43060200100101", polygon((0, 0, 1, 1))), grid(2, (1, 0, 2, 1))))
    assert result.written and result.errors == [] and result.legacy == ["43060200100101"]
    legacy = Area.get(Area.code == "43060200100101")
    assert legacy.level == "grid" and legacy.parent.code == DOTING
    output = app.test_cli_runner().invoke(args=["grids", "locate", str(LON0 + 0.0005), str(LAT0 + 0.0005)]).output
    assert output == f"43060200100101 {legacy.name} (legacy 14-digit code)\n"
    # The 15-digit spelling of the same grid may not come in beside it.
    result = run(collection(grid(1, (5, 0, 6, 1))))
    assert "already in the area tree as 43060200100101" in result.errors[0][2]


def test_an_integer_code_is_read_as_its_digits(tree):
    result = run(collection(feature(430602001001001, polygon((0, 0, 1, 1)))))
    assert result.written and Area.get(Area.code == "430602001001001").name == "网格001"


# --- errors: nothing is written ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "The file is empty.|文件为空。"),
        (b"{not json", r"not valid JSON \(line 1, column 2"),
        (b'{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        (b"[1, 2]", "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection"}', "no list of features"),
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "This is not a text file"),
        (
            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}, "features": []}',
            "declares the coordinate system EPSG:3857",
        ),
    ],
)
def test_a_file_that_is_not_a_feature_collection_is_refused_whole(tree, data, expected):
    before = state()
    with pytest.raises(ImportFileError, match=expected):
        run(data)
    assert state() == before


BOWTIE = {"type": "Polygon", "coordinates": [[pt(0, 0), pt(1, 1), pt(1, 0), pt(0, 1), pt(0, 0)]]}
SWAPPED = {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in ring(0, 0, 1, 1)]]}
UNCLOSED = {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1)[:-1] + [pt(0, 0.5)]]}
PROJECTED = {"type": "Polygon", "coordinates": [[[12593000, 3420000], [12593100, 3420000], [12593100, 3420100], [12593000, 3420000]]]}  # fmt: skip
OUTSIDE = {"type": "Polygon", "coordinates": [[[150.0, 29.0], [150.1, 29.0], [150.1, 29.1], [150.0, 29.0]]]}
HOLE_OUTSIDE = {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1), ring(3, 3, 4, 4)[::-1]]}


@pytest.mark.parametrize(
    "item, expected",
    [
        (feature("430602001001002", {"type": "Point", "coordinates": pt(0, 0)}), "is a Point; a unit grid must be"),
        (feature("430602001001002", {"type": "LineString", "coordinates": ring(0, 0, 1, 1)}), "is a LineString"),
        (feature("430602001001002", None), "has no geometry"),
        (feature("430602001001002", UNCLOSED), "Ring 1 is not closed: its last position"),
        (feature("430602001001002", {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1)[1:3]]}), "at least 4"),
        (feature("430602001001002", {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}), "not a list of rings"),
        (feature("430602001001002", BOWTIE), f"The outline crosses itself near [{LON0 + 0.0005}, {LAT0 + 0.0005}]"),
        (feature("430602001001002", SWAPPED), "latitude, longitude order"),
        (feature("430602001001002", OUTSIDE), "[150.0, 29.0] is outside China"),
        (feature("430602001001002", PROJECTED), "projected coordinates"),
        (feature("430602001001002", HOLE_OUTSIDE), "The polygon is not valid: Hole lies outside shell"),
        ({"type": "Feature", "properties": {"code": "430602001001002"}, "geometry": BOWTIE}, "has no name"),
        ({"type": "Polygon", "coordinates": []}, "not a GeoJSON Feature"),
    ],
)
def test_each_geometry_error_names_its_feature_and_nothing_is_written(tree, item, expected):
    before = state()
    result = run(collection(grid(1, (5, 5, 6, 6)), item))  # the first feature is fine
    assert not result.written
    [(number, code, text)] = result.errors
    assert number == 2 and expected in text, text
    assert code == ("430602001001002" if item.get("type") == "Feature" else "")
    assert state() == before


def test_a_multipolygon_part_crossing_another_is_refused(tree):
    geometry = {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 2, 2)], [ring(1, 1, 3, 3)]]}
    result = run(collection(feature("430602001001001", geometry)))
    assert "crosses itself" in result.errors[0][2]


def test_duplicates_within_the_file(tree):
    before = state()
    result = run(
        collection(grid(1, (0, 0, 1, 1)), grid(1, (1, 0, 2, 1)), feature("43060200100101", polygon((2, 0, 3, 1))))
    )
    assert result.errors == [
        (2, "430602001001001", "The same code as feature 1."),
        (
            3,
            "43060200100101",
            "The same unit grid as feature 1 (430602001001001): the 14- and 15-digit codes name one grid.",
        ),
    ]
    assert state() == before


def test_a_grid_whose_community_is_not_in_the_area_tree_is_an_error(tree):
    before = state()
    result = run(collection(grid(1, (0, 0, 1, 1), community="430602001009")))
    assert result.errors == [
        (
            1,
            "430602001009001",
            "Its community 430602001009 (the first 12 digits) is not in the area tree. Add the district, street and "
            "community first: a grid file creates unit grids only.",
        )
    ]
    assert state() == before


def test_a_grid_outside_its_communitys_outline_is_an_error(tree):
    outline(tree[DOTING], polygon((0, 0, 4, 2)))
    before = state()
    result = run(collection(grid(1, (0, 0, 2, 2)), grid(2, (2, 0, 5, 2))))
    [(number, code, text)] = result.errors
    assert (number, code) == (2, "430602001001002")
    assert re.fullmatch(r"[\d,.]+ m² of it lies outside its community 430602001001\.", text)
    spill = float(text.split(" ")[0].replace(",", ""))
    assert 20_000 < spill < 22_000  # 1 × 2 steps of about 97 m × 111 m
    assert state() == before
    # Without an outline of its community a grid is not checked against one.
    assert run(collection(grid(1, (20, 0, 21, 1), community=BINHU))).written


def test_overlapping_grids_are_errors_touching_ones_are_not(tree):
    before = state()
    result = run(collection(grid(1, (0, 0, 2, 2)), grid(2, (1, 1, 3, 3))))
    [(number, _code, text)] = result.errors
    assert number == 2 and re.fullmatch(r"It overlaps feature 1 \(430602001001001\) by [\d,.]+ m²\.", text)
    assert state() == before

    assert run(collection(grid(1, (0, 0, 2, 2)), grid(2, (2, 0, 3, 2)), grid(3, (0, 2, 3, 3)))).written
    result = run(collection(grid(1, (10, 10, 11, 11), community=BINHU), grid(2, (2.5, 1, 4, 3), community=BINHU)))
    [(number, code, text)] = result.errors
    assert (number, code) == (2, "430602001002002")
    assert text.startswith("It overlaps unit grid 430602001001002 网格002, already imported, by ")


def test_a_replaced_shape_does_not_overlap_its_own_old_shape(tree):
    assert run(collection(grid(1, (0, 0, 2, 2)))).written
    result = run(collection(grid(1, (0, 0, 2, 3))), valid_from=DAY_ONE + timedelta(days=1))
    assert result.written and result.counts["redrawn"] == 1


def test_gaps_inside_a_community_outline_are_warnings_to_accept(tree):
    outline(tree[DOTING], polygon((0, 0, 4, 2)))
    data = collection(grid(1, (0, 0, 2, 2)), grid(2, (2, 0, 3, 2)))
    before = state()
    result = run(data)
    assert result.errors == [] and not result.written
    [(number, code, text)] = result.warnings
    assert number is None and code == DOTING
    assert re.fullmatch(
        r"[\d,.]+ m² of community 430602001001 洞庭社区 is covered by no unit grid \(for example near \[113\.13\d+, 29\.37\d+\]\)\.",
        text,
    )
    assert state() == before
    result = run(data, accept_warnings=True)
    assert result.written and len(result.warnings) == 1
    assert GridShape.select().count() == before[1] + 2


def test_a_dry_run_counts_and_writes_nothing(tree):
    before = state()
    result = run(collection(grid(1, (0, 0, 1, 1)), grid(2, (1, 0, 2, 1))), dry_run=True)
    assert result.counts["created"] == 2 and not result.written
    assert state() == before


# --- point in grid -----------------------------------------------------------------------------------


@pytest.fixture
def holes(tree):
    """001: a 3 × 3 square with a hole that 002 fills; 003 east of it; 004 north of both; in 滨湖, 001 with a
    hole that nothing fills."""
    data = collection(
        grid(1, (0, 0, 3, 3), (1, 1, 2, 2)),
        grid(2, (1, 1, 2, 2)),
        grid(3, (3, 0, 4, 3)),
        grid(4, (0, 3, 4, 4)),
        grid(1, (5, 0, 8, 3), (6, 1, 7, 2), community=BINHU),
    )
    assert run(data).written
    return data


def code_at(x, y, crs="wgs84"):
    lon, lat = LON0 + x * STEP, LAT0 + y * STEP
    if crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    found = locate(lon, lat, crs)
    return found.code[12:] if found and found.code.startswith(DOTING) else found and found.code


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (0.5, 0.5, "001"),  # inside
        (1.5, 1.5, "002"),  # in 001's hole, which 002 fills
        (1, 1.5, "001"),  # on the hole's rim, shared by 001 and 002: the smaller code
        (3, 1.5, "001"),  # on the edge shared by 001 and 003
        (3.5, 3, "003"),  # on the edge shared by 003 and 004
        (3, 3, "001"),  # on the corner shared by 001, 003 and 004
        (0, 0.5, "001"),  # on the outer edge: boundaries belong to the grid
        (6.5, 1.5, None),  # in 滨湖 001's hole, which nothing fills
        (8, 1.5, "430602001002001"),
        (4.5, 1.5, None),  # between the communities
        (100, 100, None),
    ],
)
def test_locate_on_boundaries_in_holes_and_outside(holes, x, y, expected):
    assert code_at(x, y) == expected


def test_locate_takes_gcj02_and_returns_an_unsaved_copy(holes):
    assert code_at(0.5, 0.5, "gcj02") == "001"
    found = locate(LON0 + 0.0005, LAT0 + 0.0005)
    assert found.id == Area.get(Area.code == "430602001001001").id and found.parent.code == DOTING
    assert not found.is_dirty()
    for bad in (float("nan"), float("inf"), "x", None):
        assert locate(bad, LAT0) is None


def test_the_grid_index_prefers_the_first_of_several():
    square = shapely.box(0, 0, 1, 1)
    index = GridIndex([square, shapely.box(1, 0, 2, 1)], ["a", "b"])
    assert (index.find(1, 0.5), index.find(1.5, 0.5), index.find(3, 3)) == ("a", "b", None)
    assert index.find_all(1, 0.5) == ["a", "b"]
    assert GridIndex([], []).find(0, 0) is None


def test_another_process_sees_an_import_within_a_second(make_app, monkeypatch):
    first, second = make_app(), make_app()
    with first.app_context(), db.connection_context():
        make_tree()
    now = [1000.0]
    monkeypatch.setattr(grid_index, "_monotonic", lambda: now[0])
    with second.app_context(), db.connection_context():
        assert locate(LON0 + 0.0005, LAT0 + 0.0005) is None  # builds its index
    with first.app_context(), db.connection_context():
        assert run(collection(grid(1, (0, 0, 1, 1)))).written
        assert locate(LON0 + 0.0005, LAT0 + 0.0005).code == "430602001001001"  # at once where it was imported
    with second.app_context(), db.connection_context():
        assert locate(LON0 + 0.0005, LAT0 + 0.0005) is None  # looked less than a second ago
        now[0] += CHECK_EVERY
        assert locate(LON0 + 0.0005, LAT0 + 0.0005).code == "430602001001001"


# --- round trip, idempotence, history ----------------------------------------------------------------


def mixed_file() -> bytes:
    """Holes, a MultiPolygon, a legacy code, clockwise exteriors: in GCJ-02."""
    multi = {"type": "MultiPolygon", "coordinates": [[ring(4, 0, 5, 1)], [ring(4, 2, 5, 3)]]}
    clockwise = {"type": "Polygon", "coordinates": [ring(6, 0, 7, 1)[::-1]]}
    plain = collection(
        grid(1, (0, 0, 3, 3), (1, 1, 2, 2)),
        grid(2, (1, 1, 2, 2)),
        feature("430602001001003", multi),
        feature("43060200100104", clockwise, "老编码网格"),
    )
    document = json.loads(plain)
    for item in document["features"]:
        polygons = item["geometry"]["coordinates"]
        polygons = [polygons] if item["geometry"]["type"] == "Polygon" else polygons
        for rings in polygons:
            for r in rings:
                r[:] = [list(wgs84_to_gcj02(lon, lat)) for lon, lat in r]
    return json.dumps(document).encode()


def test_export_then_import_changes_nothing(tree, tmp_path):
    first = run(mixed_file(), crs="gcj02")
    assert first.written and first.counts["created"] == 4
    exported = export_text()
    assert exported.count('"type":"Feature"') == 4
    document = json.loads(exported)
    assert [f["properties"]["code"] for f in document["features"]] == [
        "430602001001001",
        "430602001001002",
        "430602001001003",
        "43060200100104",
    ]
    corner = document["features"][1]["geometry"]["coordinates"][0][0]  # GCJ-02 back to WGS84, to 1e-7°
    assert abs(corner[0] - (LON0 + 0.001)) <= 2e-7 and abs(corner[1] - (LAT0 + 0.001)) <= 2e-7
    version = settings.get(VERSION_KEY)
    before = state()
    again = run(exported.encode(), valid_from=DAY_ONE + timedelta(days=30))
    assert again.written and again.counts == {"created": 0, "shaped": 0, "redrawn": 0, "renamed": 0, "unchanged": 4}
    assert export_text() == exported
    assert state()[:2] == before[:2] and state()[2] == before[2] + 1  # every import is audited
    assert settings.get(VERSION_KEY) == version  # nothing changed: indexes stay


def test_importing_the_same_file_twice_changes_nothing(tree):
    data = mixed_file()
    run(data, crs="gcj02")
    shapes = [(s.id, s.geometry) for s in GridShape.select().order_by(GridShape.id)]
    result = run(data, crs="gcj02", valid_from=DAY_ONE + timedelta(days=1))
    assert result.counts["unchanged"] == 4 and result.counts["redrawn"] == 0
    assert [(s.id, s.geometry) for s in GridShape.select().order_by(GridShape.id)] == shapes


def test_a_renamed_grid_keeps_its_row_and_shape(tree):
    run(collection(grid(1, (0, 0, 1, 1), name="旧名")))
    area = Area.get(Area.code == "430602001001001")
    assert locate(LON0 + 0.0005, LAT0 + 0.0005).name == "旧名"
    result = run(collection(grid(1, (0, 0, 1, 1), name="新名")))
    assert result.counts["renamed"] == 1 and result.counts["unchanged"] == 1
    assert Area.get_by_id(area.id).name == "新名" and GridShape.select().count() == 1
    assert locate(LON0 + 0.0005, LAT0 + 0.0005).name == "新名"  # the index follows renames too


@pytest.fixture
def city(app):
    from tests.workorder_support import build_city

    made = build_city()
    with app.app_context(), db.connection_context():
        yield made


def test_a_redrawn_grid_versions_its_shape_and_keeps_its_work_orders(city, app, tmp_path):
    from tests.workorder_support import report

    assert run(collection(grid(1, (0, 0, 2, 2)), grid(1, (2, 0, 4, 2), community=BINHU))).written
    order = report(city)
    assert order.grid_id == city.grid.id
    areas = Area.select().count()

    redrawn = date(2026, 6, 1)
    result = run(collection(grid(1, (0, 0, 1, 2))), valid_from=redrawn)
    assert result.counts["redrawn"] == 1 and Area.select().count() == areas
    old, new = GridShape.select().where(GridShape.area == city.grid).order_by(GridShape.id)
    assert (old.valid_from, old.valid_to, new.valid_from, new.valid_to) == (DAY_ONE, redrawn, redrawn, None)
    assert shape_of(city.grid, date(2026, 3, 1)).id == old.id and shape_of(city.grid).id == new.id
    assert WorkOrder.get_by_id(order.id).grid_id == city.grid.id
    assert locate(LON0 + 0.0005, LAT0 + 0.0005).id == city.grid.id
    assert locate(LON0 + 0.0015, LAT0 + 0.0005) is None  # no longer in the grid: now a gap

    path = tmp_path / "march.geojson"
    assert app.test_cli_runner().invoke(args=["grids", "export", str(path), "--on", "2026-03-01"]).exit_code == 0
    march = json.loads(path.read_text())
    assert [f["geometry"] for f in march["features"]][0] == json.loads(old.geometry)

    result = run(collection(grid(1, (0, 0, 1, 1))), valid_from=date(2026, 5, 1))
    assert result.errors == [
        (
            1,
            "430602001001001",
            "Its current shape is valid since 2026-06-01; a new shape cannot start earlier (2026-05-01).",
        )
    ]
    same_day = run(collection(grid(1, (0, 0, 1, 1))), valid_from=redrawn)  # a correction on the same day
    assert same_day.written
    rows = list(GridShape.select().where(GridShape.area == city.grid).order_by(GridShape.id))
    assert [(r.valid_from, r.valid_to) for r in rows] == [(DAY_ONE, redrawn), (redrawn, redrawn), (redrawn, None)]
    assert json.loads(export_text())["features"][0]["geometry"] == json.loads(rows[-1].geometry)


def test_the_areas_in_square_metres(tree):
    run(collection(grid(1, (0, 0, 1, 1))))
    shape = GridShape.get()
    per_lon, per_lat = metres_per_degree(LAT0 + 0.0005)
    assert shape.area_m2 == pytest.approx(per_lon * per_lat * STEP * STEP, rel=1e-4)
    assert 10_000 < shape.area_m2 < 11_000  # 万米单元网格
    assert area_m2(shapely.Polygon()) == 0.0


# --- the demo city -----------------------------------------------------------------------------------


def test_the_demo_city_has_a_tiling_of_unit_grids_around_the_source_city(demo_app):
    with demo_app.app_context(), db.connection_context():
        shapes = shapes_on(level="grid")
        assert len(shapes) == 441 == Area.select().where(Area.level == "grid").count()
        union = shapely.union_all([s.shape for _, s in shapes])
        assert union.geom_type == "Polygon" and not union.interiors
        assert abs(union.centroid.x - 113.13) < 0.01 and abs(union.centroid.y - 29.37) < 0.01
        sizes = [s.area_m2 for _, s in shapes]
        assert 5_000 < min(sizes) and max(sizes) < 30_000
        for level, count in (("community", 63), ("street", 21), ("district", 6)):
            outlines = shapes_on(level=level)
            assert len(outlines) == count
        # Its own export is a clean file: no overlaps, every grid inside its community, no gaps.
        result = run(export_text().encode(), valid_from=date(2026, 1, 1))
        assert (result.errors, result.warnings, result.counts["unchanged"]) == ([], [], 441)
        area, shape = shapes[100]
        point = shape.shape.representative_point()
        assert locate(point.x, point.y).code == area.code
        before = GridShape.select().count()
        assert demo_shapes(type("Ctx", (), {"areas": {a.code: a for a in Area.select()}})()) == 0
        assert GridShape.select().count() == before == 441 + 63 + 21 + 6


def test_the_demo_fixture_file_is_the_demo_citys_export(demo_app):
    """data/grids/demo-city.geojson is a sample file for `flask grids import`; after changing the demo shapes,
    regenerate it with `flask demo load` then `flask grids export data/grids/demo-city.geojson`."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parent.parent / "data/grids/demo-city.geojson"
    with demo_app.app_context(), db.connection_context():
        assert fixture.read_text(encoding="utf-8") == export_text()


# --- the command line --------------------------------------------------------------------------------


def test_cli_import_export_and_locate(app, tmp_path):
    with app.app_context(), db.connection_context():
        make_tree()
    source = tmp_path / "grids.geojson"
    source.write_bytes(collection(grid(1, (0, 0, 1, 1)), grid(2, (1, 0, 2, 1))))
    cli = app.test_cli_runner()
    result = cli.invoke(args=["grids", "import", str(source), "--crs", "wgs84", "--valid-from", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "grids.geojson: 2 features, WGS84, shapes valid from 2026-01-01",
        "2 new grids, 0 first shapes, 0 redrawn, 0 renamed, 0 unchanged",
        "written",
    ]
    assert cli.invoke(args=["grids", "import", str(source)]).exit_code == 2  # --crs is required

    out = tmp_path / "out.geojson"
    result = cli.invoke(args=["grids", "export", str(out)])
    assert result.output == f"2 unit grids written to {out}\n"
    assert cli.invoke(args=["grids", "import", str(out), "--crs", "wgs84", "--dry-run"]).output.endswith(
        "0 new grids, 0 first shapes, 0 redrawn, 0 renamed, 2 unchanged\ndry run: nothing was written\n"
    )

    result = cli.invoke(args=["grids", "locate", str(LON0 + 0.0015), str(LAT0 + 0.0005)])
    assert (result.exit_code, result.output) == (0, "430602001001002 网格002\n")
    lon, lat = wgs84_to_gcj02(LON0 + 0.0005, LAT0 + 0.0005)
    result = cli.invoke(args=["grids", "locate", str(lon), str(lat), "--crs", "gcj02"])
    assert result.output == "430602001001001 网格001\n"
    result = cli.invoke(args=["grids", "locate", "113.5", "29.5"])
    assert (result.exit_code, result.output) == (1, "no unit grid contains 113.5, 29.5 (wgs84)\n")


def test_cli_reports_errors_and_warnings_and_exits_non_zero(app, tmp_path):
    with app.app_context(), db.connection_context():
        communities = make_tree()
        outline(communities[DOTING], polygon((0, 0, 4, 1)))
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(collection(grid(1, (0, 0, 1, 1)), feature("430602001001002", BOWTIE)))
    cli = app.test_cli_runner()
    result = cli.invoke(args=["grids", "import", str(bad), "--crs", "wgs84"])
    assert result.exit_code == 1
    assert "feature 2 (430602001001002): The outline crosses itself near" in result.output
    assert result.output.endswith("1 errors: nothing was written\n")

    gappy = tmp_path / "gappy.geojson"
    gappy.write_bytes(collection(grid(1, (0, 0, 1, 1))))
    result = cli.invoke(args=["grids", "import", str(gappy), "--crs", "wgs84"])
    assert (
        result.exit_code == 1 and "warning: " in result.output and "(--accept-warnings imports anyway)" in result.output
    )
    result = cli.invoke(args=["grids", "import", str(gappy), "--crs", "wgs84", "--accept-warnings"])
    assert result.exit_code == 0 and result.output.endswith("written with 1 warnings accepted\n")

    notjson = tmp_path / "x.geojson"
    notjson.write_text("hello")
    result = cli.invoke(args=["grids", "import", str(notjson), "--crs", "wgs84"])
    assert result.exit_code == 1 and "x.geojson: The file is not valid JSON" in result.output


# --- the admin pages ---------------------------------------------------------------------------------


def finish_import(client, location: str, bound=3000) -> str:
    """Poll the progress fragment as the page does, until it stops asking to be polled."""
    for _ in range(bound):
        response = client.get(location, headers=HTMX_POLL)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "<html" not in body
        if "every 1s" not in body:
            for thread in threading.enumerate():
                if thread.name.startswith("grids-import-"):
                    thread.join(10)
            return body
    pytest.fail("the import did not finish")


def upload(client, data: bytes, filename="grids.geojson", crs="wgs84", **options):
    form = {"file": (io.BytesIO(data), filename), "crs": crs, **{k: "y" for k, v in options.items() if v}}
    if options.get("valid_from"):
        form["valid_from"] = options["valid_from"]
    return client.post("/grids/import", data=form, content_type="multipart/form-data")


@pytest.fixture
def centre(app, users):
    with app.app_context(), db.connection_context():
        return make_tree()


def test_admin_imports_a_file_and_watches_its_progress(as_role, centre):
    admin = as_role("admin")
    page = admin.get("/grids/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    response = upload(admin, mixed_file(), "洞庭社区网格.geojson", crs="gcj02", valid_from="2026-02-01")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/grids/import/\d+", location)
    full = admin.get(location).get_data(as_text=True)
    assert "洞庭社区网格.geojson" in full and 'id="import-progress"' in full

    body = finish_import(admin, location)
    assert re.search(r"New unit grids</th><td>4</td>", body)
    assert "legacy 14-digit codes" in body
    with db.connection_context():
        job = GridImport.get()
        assert (job.status, job.total, job.done, job.errors, job.crs) == ("done", 4, 4, [], "gcj02")
        assert GridShape.select().count() == 4
        assert GridShape.get().valid_from == date(2026, 2, 1)
        entry = AuditEntry.get(AuditEntry.action == "grids.import")
        assert entry.actor_name == "admin" and "洞庭社区网格.geojson (gcj02" in entry.summary
    assert "洞庭社区网格.geojson" in admin.get("/grids/import").get_data(as_text=True)

    listing = admin.get("/grids/").get_data(as_text=True)
    assert "430602001001001" in listing and "legacy 14-digit code" in listing
    area = Area.get(Area.code == "430602001001001")
    detail = admin.get(f"/grids/{area.id}").get_data(as_text=True)
    assert "2026-02-01" in detail and "洞庭社区网格.geojson" in detail and "430602001001" in detail


def test_admin_sees_the_errors_by_feature_and_nothing_is_written(as_role, centre):
    admin = as_role("admin")
    data = collection(grid(1, (0, 0, 2, 2)), grid(2, (1, 1, 3, 3)), feature("430602001001003", SWAPPED))
    body = finish_import(admin, upload(admin, data).headers["Location"])
    assert re.search(
        r'<td class="nowrap">2</td><td class="nowrap"><code>430602001001002</code></td><td>It overlaps', body
    )
    assert re.search(
        r'<td class="nowrap">3</td><td class="nowrap"><code>430602001001003</code></td><td>The coordinates are in latitude',
        body,
    )
    with db.connection_context():
        assert GridImport.get().status == "rejected"
        assert GridShape.select().count() == 0 and Area.select().count() == 4


def test_admin_accepts_warnings_only_when_asked(as_role, centre):
    with db.connection_context():
        outline(centre[DOTING], polygon((0, 0, 4, 1)))
    admin = as_role("admin")
    data = collection(grid(1, (0, 0, 1, 1)))
    body = finish_import(admin, upload(admin, data).headers["Location"])
    assert "is covered by no unit grid" in body
    with db.connection_context():
        assert GridImport.get().status == "warned" and GridShape.select().count() == 1
    finish_import(admin, upload(admin, data, accept_warnings=True).headers["Location"])
    with db.connection_context():
        assert GridImport.select().order_by(GridImport.id.desc()).get().status == "done"
        assert GridShape.select().count() == 2


def test_admin_dry_run_writes_nothing(as_role, centre):
    admin = as_role("admin")
    finish_import(admin, upload(admin, collection(grid(1, (0, 0, 1, 1))), dry_run=True).headers["Location"])
    with db.connection_context():
        job = GridImport.get()
        assert job.status == "checked" and job.counts["created"] == 1
        assert GridShape.select().count() == 0


@pytest.mark.parametrize(
    "data", [b"", b"{oops", b'{"type": "FeatureCollection", "features": []}', b"x" * (50 * 2**20 + 1)]
)
def test_a_bad_upload_is_refused_on_the_form_and_nothing_starts(as_role, centre, data):
    response = upload(as_role("admin"), data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    with db.connection_context():
        assert GridImport.select().count() == 0


def test_the_form_needs_a_file_and_the_coordinate_system(as_role, centre):
    admin = as_role("admin")
    assert admin.post("/grids/import", data={}, content_type="multipart/form-data").status_code == 422
    assert upload(admin, collection(grid(1, (0, 0, 1, 1))), crs="").status_code == 422
    assert upload(admin, collection(grid(1, (0, 0, 1, 1))), crs="bd09").status_code == 422
    assert upload(admin, collection(grid(1, (0, 0, 1, 1))), valid_from="2026-13-40").status_code == 422
    with db.connection_context():
        assert GridImport.select().count() == 0


def test_the_import_form_needs_its_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client.get("/grids/import").get_data(as_text=True))
    form = {"file": (io.BytesIO(collection(grid(1, (0, 0, 1, 1)))), "g.geojson"), "crs": "wgs84", "dry_run": "y"}
    assert client.post("/grids/import", data=form, content_type="multipart/form-data").status_code == 400
    with db.connection_context():
        assert GridImport.select().count() == 0
    form = {**form, "file": (io.BytesIO(collection(grid(1, (0, 0, 1, 1)))), "g.geojson"), "csrf_token": token}
    accepted = client.post("/grids/import", data=form, content_type="multipart/form-data")
    assert accepted.status_code == 303
    finish_import(client, accepted.headers["Location"])


def test_a_second_import_waits_for_the_first(as_role, centre, users):
    with db.connection_context():
        GridImport.create(
            filename="other.geojson", crs="wgs84", valid_from=DAY_ONE, status="running", user=users["admin"]
        )
    response = upload(as_role("admin"), collection(grid(1, (0, 0, 1, 1))))
    assert response.status_code == 409
    with db.connection_context():
        assert GridImport.select().count() == 1


def test_the_locate_page(app, as_role, centre):
    with app.app_context(), db.connection_context():
        run(collection(grid(1, (0, 0, 1, 1))))
    client = as_role("collector")
    found = client.get(
        f"/grids/locate?lon={LON0 + 0.0005}&lat={LAT0 + 0.0005}",
        headers={"HX-Request": "true", "HX-Target": "locate-result"},
    )
    body = found.get_data(as_text=True)
    assert found.status_code == 200 and "<html" not in body and "<code>430602001001001</code>" in body
    assert "No unit grid contains" in client.get("/grids/locate?lon=113.5&lat=29.5").get_data(as_text=True)
    lon, lat = wgs84_to_gcj02(LON0 + 0.0005, LAT0 + 0.0005)
    assert "430602001001001" in client.get(f"/grids/locate?lon={lon}&lat={lat}&crs=gcj02").get_data(as_text=True)
    for query in ("lon=x&lat=1", "lon=1e999&lat=1", "lon=&lat=", "lon=1&lat=95", "lon=1&lat=1&crs=bd09", ""):
        assert client.get(f"/grids/locate?{query}").status_code == 422, query


def test_the_grid_pages_answer_404_and_the_export_downloads(app, as_role, centre):
    with app.app_context(), db.connection_context():
        run(collection(grid(1, (0, 0, 1, 1))))
        community = Area.get(Area.code == DOTING)
    client = as_role("dispatcher")
    assert client.get("/grids/999999").status_code == 404
    assert client.get(f"/grids/{community.id}").status_code == 404  # not a unit grid
    assert client.get("/grids/import/999").status_code == 403
    assert as_role("admin").get("/grids/import/999").status_code == 404
    download = client.get("/grids/export.geojson")
    assert download.status_code == 200 and download.mimetype == "application/geo+json"
    assert json.loads(download.get_data())["features"][0]["properties"]["code"] == "430602001001001"
    rows = client.get("/grids/?q=网格&shape=1", headers={"HX-Request": "true", "HX-Target": "grid-rows"})
    assert "<html" not in rows.get_data(as_text=True) and "430602001001001" in rows.get_data(as_text=True)
    assert "430602001001001" not in client.get("/grids/?shape=0").get_data(as_text=True)


@pytest.mark.parametrize(
    "role", ["intake", "shift_leader", "dispatcher", "collector", "handler", "dept_head", "evaluator", "leader"]
)
def test_only_administrators_may_import(as_role, centre, role):
    client = as_role(role)
    assert client.get("/grids/import").status_code == 403
    assert upload(client, collection(grid(1, (0, 0, 1, 1)))).status_code == 403
    with db.connection_context():
        assert GridImport.select().count() == 0 and GridShape.select().count() == 0


@pytest.mark.parametrize(
    "role, status",
    [(r, 200) for r in ("admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader", "collector")]
    + [("handler", 403), ("dept_head", 403)],
)
def test_who_may_see_the_grids(as_role, centre, role, status):
    client = as_role(role)
    for url in ("/grids/", f"/grids/locate?lon={LON0}&lat={LAT0}", "/grids/export.geojson"):
        assert client.get(url).status_code == status, url
    menu = client.get("/").get_data(as_text=True)
    assert ('href="/grids/"' in menu) == (status == 200)
    assert ('href="/grids/import"' in client.get("/grids/").get_data(as_text=True)) == (role == "admin")
