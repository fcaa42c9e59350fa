"""The point-in-grid lookup `locate(lon, lat)`: an in-process index (a shapely STRtree over the current
unit-grid shapes, prepared), built on first use and rebuilt when an import changes the version kept in
core.settings (checked at most once a second, and at once in the process that imported). A point on a
boundary belongs to the grid (boundaries are closed); a point on a boundary shared by several grids belongs
to the one with the **smallest code**. A point inside a hole belongs to the grid filling the hole, if any."""

import math
import threading
import time
import uuid
from datetime import date

import numpy as np
import shapely
from flask import current_app

from core import clock, settings
from core.areas import Area
from core.grids.geo import to_wgs84
from core.grids.models import GridShape

VERSION_KEY = "grids.version"
CHECK_EVERY = 1.0  # seconds between two looks at the version, per process

_monotonic = time.monotonic  # tests replace it to move time on


class GridIndex:
    """Point lookup over polygons: an STRtree over the polygons' boxes, then the exact test on the few
    candidates with prepared geometries. `keys[i]` is what `find` answers for `geometries[i]`; where several
    contain the point (shared boundaries), the first in the given order wins, so give them in code order.
    Read-only once built, so threads may share it (the prepared geometries are warmed up here: GEOS builds
    their point locators on first use)."""

    def __init__(self, geometries, keys):
        self.keys = list(keys)
        self.geometries = np.asarray(list(geometries), dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        if len(self.keys):
            corners = shapely.bounds(self.geometries)
            shapely.intersects_xy(self.geometries, corners[:, 0], corners[:, 1])

    def __len__(self):
        return len(self.keys)

    def _hits(self, lon: float, lat: float):
        candidates = self.tree.query(shapely.Point(lon, lat))  # boxes containing the point
        if not candidates.size:
            return candidates
        return candidates[shapely.intersects_xy(self.geometries[candidates], lon, lat)]

    def find(self, lon: float, lat: float):
        """The key of the first geometry that contains or touches the point, or None."""
        if not self.keys:
            return None
        hits = self._hits(lon, lat).tolist()
        return self.keys[min(hits)] if hits else None

    def find_all(self, lon: float, lat: float) -> list:
        if not self.keys:
            return []
        return [self.keys[i] for i in sorted(self._hits(lon, lat).tolist())]


def _state() -> dict:
    state = current_app.extensions.get("xiuhua.grids")
    if state is None:
        fresh = {"lock": threading.Lock(), "index": None, "version": None, "day": None, "checked": 0.0}
        state = current_app.extensions.setdefault("xiuhua.grids", fresh)
    return state


def _build_index(today: date) -> GridIndex:
    fields = [Area.id, Area.code, Area.name, Area.level, Area.parent, Area.valid_from, Area.valid_to]
    rows = (
        GridShape.select(GridShape.geometry, *fields)
        .join(Area)
        .where(
            GridShape.valid_to.is_null() & (Area.level == "grid") & (Area.valid_to.is_null() | (Area.valid_to > today))
        )
        .order_by(Area.code)
        .dicts()
    )
    geometries, keys = [], []
    for row in rows:
        geometries.append(shapely.from_geojson(row.pop("geometry")))
        keys.append(row)
    return GridIndex(geometries, keys)


def current_index() -> GridIndex:
    """This process's index of the current unit-grid shapes, rebuilt when an import (here or in another
    process) changed the version or the day changed (grids may end on a date)."""
    state = _state()
    if state["index"] is not None and _monotonic() - state["checked"] < CHECK_EVERY:
        return state["index"]
    with state["lock"]:
        if state["index"] is not None and _monotonic() - state["checked"] < CHECK_EVERY:
            return state["index"]
        version = settings.get(VERSION_KEY, "")  # read before the shapes: never stale for long
        today = clock.now().date()
        if state["index"] is None or version != state["version"] or today != state["day"]:
            state["index"] = _build_index(today)
            state["version"], state["day"] = version, today
        state["checked"] = _monotonic()
        return state["index"]


def invalidate():
    """Make the next lookup in this process look at the version again (after an import here)."""
    state = _state()
    state["checked"] = 0.0
    state["version"] = None


def bump_version():
    """Tell every process the shapes changed (call inside the transaction that changed them)."""
    settings.put(VERSION_KEY, uuid.uuid4().hex)


def locate(lon, lat, crs: str = "wgs84") -> Area | None:
    """The unit grid containing the point (WGS84 longitude, latitude; or GCJ-02 with crs="gcj02"), or None.
    Boundary points go to the grid with the smallest code; a point in a hole is not in the holed grid.
    The Area is built from the index, without a query; it is the caller's own copy."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    lon, lat = to_wgs84(lon, lat, crs)
    found = current_index().find(lon, lat)
    if found is None:
        return None
    area = Area(__no_default__=1, **found)
    area._dirty.clear()
    return area
