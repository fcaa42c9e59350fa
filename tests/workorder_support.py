"""The test kit's small city (core/testcity.py), under the names these tests have always imported, and
its grids drawn on the map."""

import json

from core.grids.importer import import_file
from core.testcity import City, act, build_city, jpeg, other_category, photo, report, to_dispatched  # noqa: F401

LON0, LAT0, STEP = 113.13, 29.37, 0.001  # map test shapes are drawn in steps of 0.001°


def box(x0, y0, x1, y1):
    pt = lambda x, y: [round(LON0 + x * STEP, 7), round(LAT0 + y * STEP, 7)]  # noqa: E731
    return {"type": "Polygon", "coordinates": [[pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1), pt(x0, y0)]]}


def shapes(*grids):
    """Give the grids (Areas) side-by-side 0.001° squares."""
    features = [
        {"type": "Feature", "properties": {"code": g.code, "name": g.name}, "geometry": box(i, 0, i + 1, 1)}
        for i, g in enumerate(grids)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    result = import_file(data, "test.geojson", crs="wgs84", accept_warnings=True)
    assert result.written, result.errors
