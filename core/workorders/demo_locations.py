"""Locations for the demo city's simulated cases: a random point inside each case's unit grid, so that the
maps and the case pages show pins. The simulated history is written before the grids get their shapes
(core.workorders comes before core.grids in the plugin order), hence this after-the-fact pass."""

import random

import numpy as np
import shapely

from core.db import db
from core.grids import GridShape
from core.workorders.models import WorkOrder

SEED = 2018


def _points_in(geom, count: int, rng: random.Random) -> list[tuple[float, float]]:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    found: list[tuple[float, float]] = []
    generator = np.random.default_rng(rng.randrange(2**32))
    while len(found) < count:
        lons = generator.uniform(min_lon, max_lon, count * 2)
        lats = generator.uniform(min_lat, max_lat, count * 2)
        inside = shapely.contains_xy(geom, lons, lats)
        found += list(zip(lons[inside].tolist(), lats[inside].tolist(), strict=True))
        if not inside.any():  # a sliver: its representative point will do
            p = geom.representative_point()
            found += [(p.x, p.y)] * count
    return found[:count]


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
            orders, _points_in(shapely.from_geojson(geometry), len(orders), rng), strict=True
        ):
            rows.append((round(lat, 6), round(lon, 6), order_id))
    table = WorkOrder._meta.table_name
    sql = f'UPDATE "{table}" SET latitude = %s, longitude = %s WHERE id = %s'.replace("%s", db.param)
    with db.atomic():
        cursor = db.cursor()
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])
    return len(rows)


def demo_responsibility(ctx) -> int:
    """Every demo grid gets, for every professional department, that department's handlers and heads as
    responsible people (责任人 / 分管负责人). The collectors' areas are the districts the work-order demo
    gave them. Idempotent. Returns the number of rows added."""
    from core.org import Department, Role, User, UserRole
    from core.responsibility import Responsibility

    roles = {r.id: r.code for r in Role.select().where(Role.code.in_(["handler", "dept_head"]))}
    people: dict[int, list[tuple[int, str]]] = {}
    links = (
        UserRole.select(UserRole.role, User.id, User.department)
        .join(User)
        .where(UserRole.role.in_(list(roles)) & (User.active == True))
        .tuples()
    )
    for role_id, user_id, department_id in links:
        role = "责任人" if roles[role_id] == "handler" else "分管负责人"
        people.setdefault(department_id, []).append((user_id, role))
    departments = [d.id for d in Department.select().where(Department.type == "professional") if d.id in people]
    grids = [a.id for a in ctx.areas.values() if a.level == "grid"]
    rows = [
        {"area": grid, "department": dept, "user": user, "role": role}
        for grid in grids
        for dept in departments
        for user, role in people[dept]
    ]
    added = 0
    with db.atomic():
        for start in range(0, len(rows), 400):
            added += Responsibility.insert_many(rows[start : start + 400]).on_conflict_ignore().as_rowcount().execute()
    return added
