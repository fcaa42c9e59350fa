"""Unit-grid geometry: the outlines of the areas of the grid tree (core.areas), their history, the pages to
look them up and import them, and the point-in-grid lookup `locate(lon, lat)`.

Choices, documented here because other code depends on them:

- **Coordinates.** Stored as GeoJSON text in WGS84 longitude/latitude, 7 decimals (about 1 cm), exterior
  rings counter-clockwise (RFC 7946). Files in GCJ-02 (Amap/Gaode, Tencent) are converted on import with
  the published offset and its inverse (by iteration, below 1e-9°).
- **History.** `Area.code` is unique, so a redrawn grid keeps its Area row (and every work order keeps
  pointing at it) and its *shape* is versioned: `GridShape` rows with `valid_from` / `valid_to`, where
  `valid_to` is exclusive (the day the next shape starts) and the current shape has `valid_to` NULL. A
  shape is never rewritten: redrawing closes the current row and adds one. A grid redrawn on the day its
  current shape started leaves a zero-length row behind, which still shows what was there.
- **Levels.** GridShape holds the outline of any level of the tree; the importer takes unit grids only
  (15-digit codes, or the legacy 14-digit CJ/T 213-2005 form, kept as given and labelled "legacy").
  Community, street and district outlines come from the demo city today; when a community has one,
  its grids must lie inside it and gaps between them are reported.
- **Lookup.** `locate` uses an in-process index (a shapely STRtree over the current unit-grid shapes,
  prepared), built on first use and rebuilt when an import changes the version kept in core.settings
  (checked at most once a second, and at once in the process that imported). A point on a boundary
  belongs to the grid (boundaries are closed); a point on a boundary shared by several grids belongs to
  the one with the **smallest code**. A point inside a hole belongs to the grid filling the hole, if any.

The importer, the exporter, `flask grids` and the demo shapes are in core/grids_import.py."""

import json
import math
import threading
import time
from datetime import date

import numpy as np
import shapely
from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import BooleanField, CharField, DateField, DateTimeField, DoubleField, ForeignKeyField
from peewee import TextField as TextColumn

from core import clock, settings
from core.areas import Area
from core.background import ImportJob, one_at_a_time
from core.db import BaseModel, JSONField
from core.hookspecs import hookimpl
from core.plugins import MenuItem

CRS = {
    "wgs84": _l("WGS84 (GPS, most GIS software)"),
    "gcj02": _l("GCJ-02 (Amap/Gaode, Tencent and other maps in China)"),
}
CHINA = (73.0, 3.0, 136.0, 54.0)  # a rough box around China: min lon, min lat, max lon, max lat
DECIMALS = 7  # stored coordinates: 1e-7° is about 1 cm
TOLERANCE_M2 = 1.0  # overlaps, spill-overs and gaps smaller than this are drawing noise
VERSION_KEY = "grids.version"
CHECK_EVERY = 1.0  # seconds between two looks at the version, per process
GRID_CODE = 15
LEGACY_CODE = 14  # CJ/T 213-2005: 12-digit community + 2-digit sequence


# --- models ------------------------------------------------------------------------------------------


class GridShape(BaseModel):
    """The outline of one area of the grid tree (a unit grid; or a community, street or district) from
    `valid_from` until the day before `valid_to`. The current outline has valid_to NULL; redrawing closes
    it and adds a row, so the shape a grid had on any past day can still be read."""

    area = ForeignKeyField(Area, backref="shapes", on_delete="CASCADE")
    geometry = TextColumn()  # GeoJSON Polygon or MultiPolygon, WGS84, see module docstring
    min_lon = DoubleField()
    min_lat = DoubleField()
    max_lon = DoubleField()
    max_lat = DoubleField()
    area_m2 = DoubleField()
    valid_from = DateField()
    valid_to = DateField(null=True)  # exclusive; NULL: the current shape
    source = CharField(max_length=255, default="")  # the file it came from, or "demo"
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("min_lon", "max_lon"), False), (("min_lat", "max_lat"), False))

    @property
    def shape(self):
        return shapely.from_geojson(self.geometry)


# At most one current shape per area, even with two imports racing.
GridShape.add_index(
    GridShape.index(GridShape.area, unique=True, name="grid_shape_current").where(GridShape.valid_to.is_null())
)

IMPORT_STATUSES = {
    "running": (_l("Checking the features"), "grey"),
    "writing": (_l("Writing to the database"), "grey"),
    "done": (_l("Imported"), "green"),
    "checked": (_l("Dry run finished: nothing was written"), "green"),
    "rejected": (_l("Errors were found: nothing was written"), "red"),
    "warned": (_l("Warnings were not accepted: nothing was written"), "yellow"),
    "failed": (_l("Failed: nothing was written"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the import"), "red"),
}


@one_at_a_time
class GridImport(ImportJob):
    """One grid import started from the admin page, run in a background thread: progress and outcome."""

    STATUSES = IMPORT_STATUSES
    crs = CharField(max_length=8)  # a key of CRS
    valid_from = DateField()
    accept_warnings = BooleanField(default=False)
    counts = JSONField(null=True)  # {"created": n, "shaped": n, "redrawn": n, "renamed": n, "unchanged": n}
    errors = JSONField(null=True)  # [[feature number, code, message], ...]
    warnings = JSONField(null=True)  # [[feature number or null, code, message], ...]
    legacy = JSONField(null=True)  # the 14-digit codes in the file


# --- codes -------------------------------------------------------------------------------------------


def code_form(code: str) -> str | None:
    """ "current" for a 15-digit unit-grid code, "legacy" for the 14-digit CJ/T 213-2005 form, else None."""
    if not code or not code.isascii() or not code.isdigit():
        return None
    return {GRID_CODE: "current", LEGACY_CODE: "legacy"}.get(len(code))


def same_grid_codes(code: str) -> list[str]:
    """The other spellings of the same grid: 12-digit community + sequence in 2 or 3 digits."""
    community, sequence = code[:12], int(code[12:])
    return [c for c in (f"{community}{sequence:03d}", f"{community}{sequence:02d}") if c != code and len(c) <= 15]


# --- coordinates -------------------------------------------------------------------------------------

_KRASOVSKY_A = 6378245.0  # the semi-major axis and eccentricity² the published GCJ-02 algorithm uses
_KRASOVSKY_EE = 0.00669342162296594323


def in_china(lon: float, lat: float) -> bool:
    return CHINA[0] <= lon <= CHINA[2] and CHINA[1] <= lat <= CHINA[3]


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    shared = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + shared
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + shared
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlon = dlon * 180.0 / (_KRASOVSKY_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return dlon, dlat


def _gcj_applies(lon: float, lat: float) -> bool:
    # The box the published algorithm uses; outside it GCJ-02 equals WGS84.
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 (the published offset; unchanged outside China's box)."""
    if not _gcj_applies(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS84, by fixed-point iteration on the forward offset (converges to below 1e-9° in a few
    steps: the offset changes by less than 1 % of a step across a step)."""
    if not _gcj_applies(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _step in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
        wlon, wlat = wlon - dlon, wlat - dlat
    return wlon, wlat


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs != "wgs84":
        raise ValueError(f"unknown coordinate system {crs!r}")
    return lon, lat


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of longitude, of latitude) on the WGS84 ellipsoid at `lat`."""
    phi = math.radians(lat)
    per_lat = 111132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    per_lon = 111412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    return per_lon, per_lat


def area_m2(geom) -> float:
    """The area of a lon/lat geometry in square metres (a local projection around its own centre: exact
    enough for anything a city draws)."""
    if geom is None or geom.is_empty:
        return 0.0
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    lon0, lat0 = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    per_lon, per_lat = metres_per_degree(lat0)
    scale = np.array([per_lon, per_lat])
    return float(shapely.transform(geom, lambda xy: (xy - [lon0, lat0]) * scale).area)


def geometry_text(geom) -> str:
    """The stored form of a Polygon or MultiPolygon: compact GeoJSON, coordinates as they are."""

    def ring(r):
        return [[x, y] for x, y, *_z in r.coords]

    def polygon(p):
        return [ring(p.exterior), *(ring(hole) for hole in p.interiors)]

    if geom.geom_type == "Polygon":
        data = {"type": "Polygon", "coordinates": polygon(geom)}
    else:
        data = {"type": "MultiPolygon", "coordinates": [polygon(p) for p in geom.geoms]}
    return json.dumps(data, separators=(",", ":"))


def rounded(value: float) -> float:
    return round(value, DECIMALS)


# --- the point-in-grid index -------------------------------------------------------------------------

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
    import uuid

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


def shape_of(area, on: date | None = None) -> GridShape | None:
    """The shape an area (an Area or its id) had on a day (default: its current one)."""
    query = GridShape.select().where(GridShape.area == area)
    if on is None:
        query = query.where(GridShape.valid_to.is_null())
    else:
        query = query.where(
            (GridShape.valid_from <= on) & (GridShape.valid_to.is_null() | (GridShape.valid_to > on))
        ).order_by(GridShape.valid_from.desc(), GridShape.id.desc())
    return query.first()


def shapes_on(on: date | None = None, level: str = "grid"):
    """(Area, GridShape) pairs of every area of a level with a shape on the day (default: current), in
    code order."""
    query = GridShape.select(GridShape, Area).join(Area).where(Area.level == level)
    if on is None:
        query = query.where(GridShape.valid_to.is_null())
    else:
        query = query.where(
            (GridShape.valid_from <= on)
            & (GridShape.valid_to.is_null() | (GridShape.valid_to > on))
            & (GridShape.valid_from != GridShape.valid_to)
        )
    return [(shape.area, shape) for shape in query.order_by(Area.code, GridShape.valid_from)]


def feature_collection(on: date | None = None, level: str = "grid") -> dict:
    """The shapes of one level as a GeoJSON FeatureCollection (WGS84), properties code and name: what
    `flask grids export` writes and the import reads back unchanged."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": area.code, "name": area.name},
                "geometry": json.loads(shape.geometry),
            }
            for area, shape in shapes_on(on, level)
        ],
    }


# --- hooks -------------------------------------------------------------------------------------------

VIEWERS = ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader", "collector"]


@hookimpl
def register_blueprints():
    from core.grids_pages import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {"name": "grids.view", "label": _l("See unit grids and find the grid of a place"), "roles": VIEWERS},
        {"name": "grids.manage", "label": _l("Import unit-grid shapes"), "roles": ["admin"]},
    ]


@hookimpl
def register_imports():
    from core.grids_pages import IMPORTS

    return [IMPORTS]


@hookimpl
def register_commands(cli):
    from core.grids_import import grids_cli

    cli.add_command(grids_cli)


@hookimpl
def menu_items(user):
    if user.can("grids.view"):
        return [MenuItem(_l("Unit grids"), "grids.index", order=40)]
    return []


@hookimpl
def demo_data(ctx):
    demo_shapes(ctx)


def demo_shapes(ctx) -> int:
    """Give the demo city's unit grids, communities, streets and districts outlines (a perturbed lattice
    of about 100 m cells around the source city's centre, without gaps or overlaps). Idempotent: areas
    that have a shape keep it. Returns the number of shapes created."""
    from core.grids_import import build_demo_shapes

    return build_demo_shapes(ctx)
