"""The demo city's component census: a few thousand components at random places inside the demo unit
grids, with valid IDs, written in bulk so that `flask demo load` stays quick."""

import random
from datetime import date, timedelta

import shapely
from flask import current_app

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.components.census import CHUNK
from core.components.models import Component, ComponentStatusChange
from core.db import db
from core.grids.geo import rounded
from core.grids.models import GridShape

SOURCE = "2024年部件普查（演示）"
STATUS_WEIGHTS = {"intact": 90, "damaged": 6, "missing": 2, "abandoned": 1, "removed": 1}
# Which demo department maintains a class of components (2013 class codes; the 2026 ones are the same).
MAINTAINERS = {"01": "municipal", "02": "municipal", "03": "sanitation", "04": "landscaping", "05": "municipal"}
SUPERVISOR = "市城市管理局"


def load_components(ctx, count: int, seed: int = 2024) -> int:
    """Create `count` components unless the census already has some. Returns how many were created."""
    if count <= 0 or Component.select().exists():
        return 0
    edition = current_app.config["CATALOGUE_EDITION"]
    categories = list(
        Category.select()
        .where((Category.edition == edition) & (Category.kind == "component") & (Category.active == True))  # noqa: E712
        .order_by(Category.code)
    )
    shapes = list(
        GridShape.select(GridShape, Area)
        .join(Area)
        .where(GridShape.valid_to.is_null() & (Area.level == "grid"))
        .order_by(Area.code)
    )
    if not categories or not shapes:
        return 0
    rng = random.Random(seed)
    polygons = [shapely.from_geojson(s.geometry) for s in shapes]
    shapely.prepare(polygons)
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    serials: dict[str, int] = {}
    now = clock.now()
    rows = []
    for _n in range(count):
        index = rng.randrange(len(shapes))
        grid, polygon = shapes[index].area, polygons[index]
        min_lon, min_lat, max_lon, max_lat = polygon.bounds
        while True:
            lon = rounded(rng.uniform(min_lon, max_lon))
            lat = rounded(rng.uniform(min_lat, max_lat))
            if shapely.contains_xy(polygon, lon, lat):
                break
        category = rng.choice(categories)
        prefix = f"{grid.code[:6]}{category.code}"
        serials[prefix] = serials.get(prefix, 0) + 1
        maintainer = ctx.departments.get(
            "lighting" if "路灯" in category.name else MAINTAINERS.get(category.class_code, "")
        )
        rows.append(
            {
                "code": f"{prefix}{serials[prefix]:06d}",
                "name": category.name,
                "category": category.id,
                "status": rng.choices(statuses, weights)[0],
                "supervising_department": SUPERVISOR,
                "owning_department": maintainer.name if maintainer else "",
                "maintaining_department": maintainer.name if maintainer else "",
                "maintainer": maintainer.id if maintainer else None,
                "survey_date": date(2024, 3, 1) + timedelta(days=rng.randrange(120)),
                "source": SOURCE,
                "longitude": lon,
                "latitude": lat,
                "grid": grid.id,
                "address": f"{grid.name}",
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.atomic():
        for start in range(0, len(rows), CHUNK):
            Component.insert_many(rows[start : start + CHUNK]).execute()
        ids = dict(Component.select(Component.code, Component.id).tuples())
        history = [
            {"component": ids[r["code"]], "from_status": "", "to_status": r["status"], "at": now, "note": SOURCE}
            for r in rows
        ]
        for start in range(0, len(history), CHUNK):
            ComponentStatusChange.insert_many(history[start : start + CHUNK]).execute()
    return len(rows)
