"""The component census city (tests/test_components.py), shared with tests/test_component_exports.py:
the work-order test city with both grids drawn as squares and a few component types, and a CSV import."""

import shapely

from core.areas import Area
from core.catalogue.models import Category
from core.components import census
from core.components.models import Component
from core.db import db
from core.grids.geo import area_m2, geometry_text
from core.grids.index import bump_version
from core.grids.models import GridShape
from tests.workorder_support import build_city

HEADER = "部件标识码,部件名称,小类代码,部件状态,养护单位,初始日期,经度,纬度,地址\n"
# Two adjacent 0.01° squares: the city's grid (west) and the other grid (east), both in district 430602.
WEST = (113.10, 29.30, 113.11, 29.31)
EAST = (113.11, 29.30, 113.12, 29.31)


def _square(area, box):
    geom = shapely.box(*box)
    GridShape.create(
        area=area,
        geometry=geometry_text(shapely.orient_polygons(geom)),
        min_lon=box[0],
        min_lat=box[1],
        max_lon=box[2],
        max_lat=box[3],
        area_m2=area_m2(geom),
        valid_from="2020-01-01",
        source="test",
    )


def build_census_city():
    """The work-order test city, its two grids drawn as squares, and a few component types."""
    built = build_city()
    with db.connection_context():
        _square(built.grid, WEST)
        _square(built.other_grid, EAST)
        Area.create(code="430603", name="云溪区", level="district")
        for code, name in (("0101", "上水井盖"), ("0102", "污水井盖")):
            Category.create(
                kind="component", edition="2013", class_code="01", class_name="公用设施", code=code, name=name
            )
        Category.create(
            kind="component", edition="2026", class_code="01", class_name="市政公用设施", code="01001", name="供水井盖"
        )
        bump_version()
    return built


def csv_bytes(*rows, header=HEADER, encoding="utf-8") -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode(encoding)


def row(code="4306020101000001", name="上水井盖", type_code="0101", status="完好", lon=113.105, lat=29.305, **kw):
    values = [
        code,
        name,
        type_code,
        status,
        kw.get("maintainer", "环卫处"),
        kw.get("date", "2025-05-01"),
        str(lon),
        str(lat),
        "人民路",
    ]
    return ",".join(values)


def run(app, data: bytes, **options):
    with app.app_context(), db.connection_context():
        return census.import_file(data, "test.csv", **options)


def imported(app, city_):
    run(
        app,
        csv_bytes(row(), row(code="4306020102000002", name="污水井盖", type_code="0102", status="破损", lon=113.115)),
    )
    with db.connection_context():
        return {c.code: c for c in Component.select()}
