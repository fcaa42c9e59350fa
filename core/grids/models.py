"""The unit grids' tables: `GridShape` (the versioned outline of an area of the grid tree) and `GridImport`
(a background import from the admin page); the grid codes; and reading the shapes back (one area's on a
day, a level's on a day, as GeoJSON)."""

import json
from datetime import date

import shapely
from flask_babel import lazy_gettext as _l
from peewee import BooleanField, CharField, DateField, DateTimeField, DoubleField, ForeignKeyField
from peewee import TextField as TextColumn

from core import clock
from core.areas import Area
from core.background import ImportJob, one_at_a_time
from core.db import BaseModel, JSONField

GRID_CODE = 15
LEGACY_CODE = 14  # CJ/T 213-2005: 12-digit community + 2-digit sequence


class GridShape(BaseModel):
    """The outline of one area of the grid tree (a unit grid; or a community, street or district) from
    `valid_from` until the day before `valid_to`. The current outline has valid_to NULL; redrawing closes
    it and adds a row, so the shape a grid had on any past day can still be read."""

    area = ForeignKeyField(Area, backref="shapes", on_delete="CASCADE")
    geometry = TextColumn()  # GeoJSON Polygon or MultiPolygon, WGS84, see core/grids/__init__.py
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


@one_at_a_time
class GridImport(ImportJob):
    """One grid import started from the admin page, run in a background thread: progress and outcome."""

    STATUSES = {
        **ImportJob.STATUSES,
        "running": (_l("Checking the features"), "grey"),
        "rejected": (_l("Errors were found: nothing was written"), "red"),
        "warned": (_l("Warnings were not accepted: nothing was written"), "yellow"),
    }
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


# --- reading the shapes back ------------------------------------------------------------------------


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


def export_text(on: date | None = None) -> str:
    """The unit grids' shapes (current, or on a day) as GeoJSON, one feature per line; importing it back
    (as WGS84) changes nothing."""
    lines = []
    for area, shape in shapes_on(on, "grid"):
        properties = json.dumps({"code": area.code, "name": area.name}, ensure_ascii=False, separators=(",", ":"))
        lines.append(f'{{"type":"Feature","properties":{properties},"geometry":{shape.geometry}}}')
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def grid_rows(area: Area | None = None, ids=None):
    """(area id, code, name, geometry text) of the current unit grids with a shape: all, those under
    `area` (or `area` itself), or those with the given ids."""
    today = clock.now().date()
    query = (
        GridShape.select(Area.id, Area.code, Area.name, GridShape.geometry)
        .join(Area)
        .where(
            GridShape.valid_to.is_null() & (Area.level == "grid") & (Area.valid_to.is_null() | (Area.valid_to > today))
        )
        .order_by(Area.code)
    )
    if area is not None:
        query = query.where(Area.code.startswith(area.code))
    if ids is not None:
        query = query.where(Area.id.in_(list(ids) or [0]))
    return query.tuples()
