"""Locations for the demo city's simulated cases: a random point inside each case's unit grid, so that the
maps and the case pages show pins. The simulated history is written before the grids get their shapes,
hence this after-the-fact pass (core/workorders/__init__.py's demo_data hook gives the grids their
demo shapes first: core.workorders comes before core.grids in the plugin order)."""

import random

import shapely

from core.db import db
from core.grids.models import GridShape
from core.maps.demo import points_in
from core.workorders.models import WorkOrder

SEED = 2018


def place_demo_orders() -> int:
    """Give every case without coordinates whose grid has a current shape a point inside that grid.
    Idempotent: cases with coordinates are left alone. Returns how many were placed."""
    rng = random.Random(SEED)
    missing = (
        WorkOrder.select(WorkOrder.id, WorkOrder.grid)
        .where(WorkOrder.latitude.is_null() & WorkOrder.grid.is_null(False))
        .order_by(WorkOrder.id)
        .tuples()
    )
    by_grid: dict[int, list[int]] = {}
    for order_id, grid_id in missing:
        by_grid.setdefault(grid_id, []).append(order_id)
    if not by_grid:
        return 0
    shapes = GridShape.select(GridShape.area, GridShape.geometry).where(
        GridShape.valid_to.is_null() & GridShape.area.in_(list(by_grid))
    )
    rows = []
    for area_id, geometry in shapes.tuples():
        orders = by_grid[area_id]
        for order_id, (lon, lat) in zip(
            orders, points_in(shapely.from_geojson(geometry), len(orders), rng), strict=True
        ):
            rows.append((round(lat, 6), round(lon, 6), order_id))
    table = WorkOrder._meta.table_name
    sql = f'UPDATE "{table}" SET latitude = %s, longitude = %s WHERE id = %s'.replace("%s", db.param)
    with db.atomic():
        cursor = db.cursor()
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])
    return len(rows)
