"""Importing and exporting unit-grid shapes (GeoJSON), `flask grids`, the background imports of the admin
page, and the demo city's shapes.

An import reads a FeatureCollection of Polygon/MultiPolygon features with the properties `code` (15 digits,
or the legacy 14-digit CJ/T 213-2005 form) and `name`, in WGS84 or GCJ-02. A file that cannot be read at
all is refused whole (ImportFileError). Otherwise every feature is checked, then the file as a whole
(duplicates, the area tree, communities' outlines, overlaps and gaps); errors are listed by feature number
and code, and nothing is written unless there are none. Gaps are warnings: nothing is written unless they
are accepted. Everything is written in one transaction; re-importing the same file changes nothing.

What the import never does: create districts, streets or communities (a grid whose community is not in
the area tree is an error), remove grids that the file does not mention (a file may cover one community),
or rewrite a shape (a changed outline closes the current shape and adds one, see core/grids.py)."""

import json
import logging
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
import numpy as np
import shapely
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background, clock, grids, settings
from core.areas import LEVELS, Area
from core.db import db, is_sqlite
from core.grids import (
    CRS,
    TOLERANCE_M2,
    VERSION_KEY,
    GridImport,
    GridShape,
    area_m2,
    code_form,
    geometry_text,
    in_china,
    rounded,
    same_grid_codes,
    to_wgs84,
)
from core.settings import Setting

log = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024
CHUNK = 400  # rows per statement, well inside SQLite's limit on bound parameters
ACCEPTED_CRS_NAMES = ("crs84", "4326", "4490")  # WGS84 lon/lat, and CGCS2000 (the same within centimetres)
VALIDITY_AT = re.compile(r"\[([-+0-9.eE]+) ([-+0-9.eE]+)\]")


class ImportFileError(ValueError):
    """The file cannot be imported at all; str() says why, in the user's language."""


class _Bad(Exception):
    """One feature cannot be used: the message says why."""


@dataclass
class Feature:
    number: int  # 1-based position in the file
    code: str
    name: str
    legacy: bool
    geom: object  # shapely Polygon or MultiPolygon, WGS84, rounded, oriented
    text: str  # its stored form (core.grids.geometry_text)

    @property
    def community(self) -> str:
        return self.code[:12]


@dataclass
class ImportResult:
    filename: str
    crs: str
    valid_from: date
    total: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (feature, code, message)
    warnings: list[tuple[int | None, str, str]] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def line(self) -> str:
        return ", ".join(f"{n} {COUNT_WORDS[key]}" for key, n in self.counts.items())


COUNT_KEYS = ("created", "shaped", "redrawn", "renamed", "unchanged")
COUNT_WORDS = {
    "created": "new grids",
    "shaped": "first shapes",
    "redrawn": "redrawn",
    "renamed": "renamed",
    "unchanged": "unchanged",
}


# --- reading -----------------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "upload.geojson"


def read_bytes(source) -> bytes:
    """A path, a binary stream or bytes, at most MAX_BYTES of it."""
    return background.read_at_most(source, MAX_BYTES, ImportFileError)


def read_features(data: bytes) -> list:
    """The raw features of a GeoJSON FeatureCollection, or ImportFileError."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # some Chinese GIS tools still write GBK
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not text: a GeoJSON file is expected.")) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            _(
                "The file is not valid JSON (line %(line)d, column %(column)d: %(error)s).",
                line=error.lineno,
                column=error.colno,
                error=error.msg,
            )
        ) from None
    except (RecursionError, ValueError):
        raise ImportFileError(_("The file is not valid JSON.")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(_("The file is JSON but not a GeoJSON FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError(_("The FeatureCollection has no list of features."))
    _check_declared_crs(document.get("crs"))
    if not features:
        raise ImportFileError(_("The FeatureCollection has no features."))
    return features


def _check_declared_crs(crs):
    """The 2008 GeoJSON `crs` member, if present, must name longitude/latitude degrees."""
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or not any(word in name.lower().replace(":", "") for word in ACCEPTED_CRS_NAMES):
        raise ImportFileError(
            _(
                "The file declares the coordinate system %(name)s. Export it in longitude/latitude degrees "
                "(WGS84, EPSG:4326; or GCJ-02).",
                name=str(name or crs)[:80],
            )
        )


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _position_text(position) -> str:
    return f"[{position[0]}, {position[1]}]"


def _rings(geometry) -> tuple[str, list[list[list[tuple[float, float]]]]]:
    """(type, polygons → rings → (x, y) positions) of a GeoJSON Polygon or MultiPolygon."""
    if not isinstance(geometry, dict):
        raise _Bad(_("The feature has no geometry."))
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        shown = kind if isinstance(kind, str) and kind else _("nothing")
        raise _Bad(_("The geometry is a %(type)s; a unit grid must be a Polygon or MultiPolygon.", type=shown[:40]))
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise _Bad(_("The geometry has no coordinates."))
    result = []
    for part, polygon in enumerate(polygons, 1):
        if not isinstance(polygon, list) or not polygon:
            raise _Bad(_("The coordinates are not a list of rings of [longitude, latitude] positions."))
        rings = []
        for number, ring in enumerate(polygon, 1):
            where = (
                _("ring %(ring)d", ring=number)
                if kind == "Polygon"
                else _("ring %(ring)d of polygon %(part)d", ring=number, part=part)
            )
            if not isinstance(ring, list) or not all(
                isinstance(p, list) and len(p) >= 2 and _number(p[0]) and _number(p[1]) for p in ring
            ):
                raise _Bad(_("The coordinates are not a list of rings of [longitude, latitude] positions."))
            if len(ring) < 4:
                raise _Bad(
                    _(
                        "%(where)s has %(n)d positions; a closed ring needs at least 4.",
                        where=where.capitalize(),
                        n=len(ring),
                    )
                )
            if ring[0][:2] != ring[-1][:2]:
                raise _Bad(
                    _(
                        "%(where)s is not closed: its last position %(last)s must repeat its first %(first)s.",
                        where=where.capitalize(),
                        last=_position_text(ring[-1]),
                        first=_position_text(ring[0]),
                    )
                )
            rings.append([(float(p[0]), float(p[1])) for p in ring])
        result.append(rings)
    return kind, result


def _check_place(points: list[tuple[float, float]]):
    outside = [p for p in points if not in_china(*p)]
    if not outside:
        return
    if all(in_china(lat, lon) for lon, lat in points):
        raise _Bad(
            _(
                "The coordinates are in latitude, longitude order (e.g. %(pos)s); GeoJSON puts the longitude first.",
                pos=_position_text(outside[0]),
            )
        )
    projected = next((p for p in outside if abs(p[0]) > 180 or abs(p[1]) > 90), None)
    if projected:
        raise _Bad(
            _(
                "The position %(pos)s is not in degrees: the file seems to use projected coordinates (metres). "
                "Export it in longitude/latitude (WGS84 or GCJ-02).",
                pos=_position_text(projected),
            )
        )
    raise _Bad(_("The position %(pos)s is outside China (73–136° E, 3–54° N).", pos=_position_text(outside[0])))


def _validity_problem(geom) -> str | None:
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return None
    at = VALIDITY_AT.search(reason)
    where = f"[{at.group(1)}, {at.group(2)}]" if at else ""
    if "Self-intersection" in reason:
        return _("The outline crosses itself near %(pos)s.", pos=where)
    return _("The polygon is not valid: %(reason)s.", reason=reason)


def parse_feature(number: int, raw, crs: str) -> Feature:
    """One feature checked on its own; raises _Bad with the reason."""
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise _Bad(_("This is not a GeoJSON Feature."))
    properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    code, name = _code(properties.get("code")), properties.get("name")
    if not isinstance(name, str) or not unicodedata.normalize("NFKC", name).strip():
        raise _Bad(_("The feature has no name property."))
    name = unicodedata.normalize("NFKC", name).strip()
    if len(name) > Area.name.max_length:
        raise _Bad(_("The name is longer than %(n)d characters.", n=Area.name.max_length))
    kind, polygons = _rings(raw.get("geometry"))
    _check_place([p for polygon in polygons for ring in polygon for p in ring])
    converted = [
        [[(rounded(lon), rounded(lat)) for lon, lat in (to_wgs84(x, y, crs) for x, y in ring)] for ring in polygon]
        for polygon in polygons
    ]
    parts = [shapely.Polygon(rings[0], rings[1:]) for rings in converted]
    geom = parts[0] if kind == "Polygon" else shapely.MultiPolygon(parts)
    problem = _validity_problem(geom)
    if problem:
        raise _Bad(problem)
    geom = shapely.orient_polygons(geom)
    return Feature(number, code, name, code_form(code) == "legacy", geom, geometry_text(geom))


def _code(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Bad(_("The feature has no code property."))
    code = unicodedata.normalize("NFKC", value).strip()
    if not (code.isascii() and code.isdigit()):
        raise _Bad(_("The code %(code)s is not made of digits.", code=value[:40]))
    if code_form(code) is None:
        raise _Bad(
            _(
                "The code %(code)s has %(n)d digits: a unit-grid code has 15 digits (or 14 in the old "
                "CJ/T 213-2005 form). Spreadsheets drop leading zeros: keep codes as text.",
                code=code[:40],
                n=len(code),
            )
        )
    return code


def _raw_code(raw) -> str:
    """The code as written, for naming a feature that could not be read."""
    properties = raw.get("properties") if isinstance(raw, dict) else None
    value = properties.get("code") if isinstance(properties, dict) else None
    return str(value)[:40] if isinstance(value, str | int) and not isinstance(value, bool) else ""


# --- checking the file as a whole --------------------------------------------------------------------


@dataclass
class _Step:
    feature: Feature
    area: Area | None  # None: a new grid
    community: Area
    current: GridShape | None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _areas_by_code(codes) -> dict[str, Area]:
    found = {}
    for chunk in _chunks(sorted(codes)):
        found.update({a.code: a for a in Area.select().where(Area.code.in_(chunk))})
    return found


def _current_shapes(area_ids) -> dict[int, GridShape]:
    found = {}
    for chunk in _chunks(sorted(area_ids)):
        query = GridShape.select().where(GridShape.area.in_(chunk) & GridShape.valid_to.is_null())
        found.update({s.area_id: s for s in query})
    return found


def _tree_problems(features: list[Feature], valid_from: date, errors: list) -> list[_Step]:
    """Duplicates, the area tree, dates. Returns the steps of the features without problems."""
    first_at: dict[str, Feature] = {}
    same_grid: dict[tuple[str, int], Feature] = {}
    areas = _areas_by_code({f.code for f in features} | {c for f in features for c in same_grid_codes(f.code)})
    communities = {
        a.code: a for a in _areas_by_code({f.community for f in features}).values() if a.level == "community"
    }
    shapes = _current_shapes([a.id for a in areas.values()])
    in_file = {f.code for f in features}
    steps = []
    for f in features:
        problem = None
        earlier = first_at.get(f.code) or same_grid.get((f.community, int(f.code[12:])))
        area, community = areas.get(f.code), communities.get(f.community)
        if earlier is not None and earlier.code == f.code:
            problem = _("The same code as feature %(n)d.", n=earlier.number)
        elif earlier is not None:
            problem = _(
                "The same unit grid as feature %(n)d (%(code)s): the 14- and 15-digit codes name one grid.",
                n=earlier.number,
                code=earlier.code,
            )
        elif community is None:
            problem = _(
                "Its community %(community)s (the first 12 digits) is not in the area tree. Add the district, "
                "street and community first: a grid file creates unit grids only.",
                community=f.community,
            )
        elif area is not None and area.level != "grid":
            problem = _(
                "%(code)s is in the area tree as a %(level)s, not a unit grid.",
                code=f.code,
                level=LEVELS.get(area.level, area.level),
            )
        elif area is not None and area.parent_id != community.id:
            problem = _(
                "%(code)s is in the area tree under another parent than community %(community)s.",
                code=f.code,
                community=f.community,
            )
        else:
            other = next((c for c in same_grid_codes(f.code) if c in areas and c not in in_file), None)
            current = shapes.get(area.id) if area is not None else None
            if other is not None:
                problem = _("This unit grid is already in the area tree as %(code)s; use that code.", code=other)
            elif current is not None and current.geometry != f.text and valid_from < current.valid_from:
                problem = _(
                    "Its current shape is valid since %(since)s; a new shape cannot start earlier (%(date)s).",
                    since=current.valid_from.isoformat(),
                    date=valid_from.isoformat(),
                )
            else:
                steps.append(_Step(f, area, community, current))
        first_at.setdefault(f.code, f)
        same_grid.setdefault((f.community, int(f.code[12:])), f)
        if problem:
            errors.append((f.number, f.code, problem))
    return steps


def _neighbours(steps: list[_Step]) -> list[tuple[object, Area, object]]:
    """(geometry, Area, community id) of the current unit-grid shapes the file does not replace, near the
    file's grids or in its communities."""
    if not steps:
        return []
    bounds = np.array([s.feature.geom.bounds for s in steps])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    replaced = {s.area.id for s in steps if s.area is not None}
    community_ids = sorted({s.community.id for s in steps})
    base = GridShape.select(GridShape, Area).join(Area).where(GridShape.valid_to.is_null() & (Area.level == "grid"))
    found = {}
    near = base.where(
        (GridShape.min_lon <= east)
        & (GridShape.max_lon >= west)
        & (GridShape.min_lat <= north)
        & (GridShape.max_lat >= south)
    )
    for shape in near:
        found[shape.area.id] = shape
    for chunk in _chunks(community_ids):
        for shape in base.where(Area.parent.in_(chunk)):
            found[shape.area.id] = shape
    return [
        (shapely.from_geojson(shape.geometry), shape.area, shape.area.parent_id)
        for area_id, shape in sorted(found.items())
        if area_id not in replaced
    ]


def _m2(value: float) -> str:
    return f"{value:,.1f}"


def _shape_problems(steps: list[_Step], errors: list, warnings: list) -> list[_Step]:
    """Grids outside their community's outline, overlaps (with each other and with the grids already in
    the database), and, when nothing else is wrong, gaps inside communities' outlines (warnings). Returns the
    steps without errors."""
    if not steps:
        return []
    community_ids = sorted({s.community.id for s in steps})
    outlines = {cid: shapely.from_geojson(s.geometry) for cid, s in _current_shapes(community_ids).items()}
    bad = {}
    for step in steps:
        outline = outlines.get(step.community.id)
        if outline is not None:
            spill = area_m2(step.feature.geom.difference(outline))
            if spill > TOLERANCE_M2:
                bad[step.feature.number] = _(
                    "%(m2)s m² of it lies outside its community %(community)s.",
                    m2=_m2(spill),
                    community=step.community.code,
                )
    others = _neighbours(steps)
    geoms = np.array([s.feature.geom for s in steps] + [g for g, _a, _c in others], dtype=object)
    pairs = shapely.STRtree(geoms).query(geoms[: len(steps)], predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]  # each pair once, not a grid with itself
    if pairs.shape[1]:
        pairs = pairs[:, shapely.relate_pattern(geoms[pairs[0]], geoms[pairs[1]], "T********")]  # inside meets
    for i, j in pairs.T:
        overlap = area_m2(shapely.intersection(geoms[i], geoms[j]))
        if overlap <= TOLERANCE_M2:
            continue
        if j < len(steps):
            first, later = steps[i].feature, steps[j].feature
            text = _(
                "It overlaps feature %(n)d (%(code)s) by %(m2)s m².", n=first.number, code=first.code, m2=_m2(overlap)
            )
            bad.setdefault(later.number, text)
        else:
            other = others[j - len(steps)][1]
            text = _(
                "It overlaps unit grid %(code)s %(name)s, already imported, by %(m2)s m².",
                code=other.code,
                name=other.name,
                m2=_m2(overlap),
            )
            bad.setdefault(steps[i].feature.number, text)
    for step in steps:
        if step.feature.number in bad:
            errors.append((step.feature.number, step.feature.code, bad[step.feature.number]))
    for cid, outline in sorted(outlines.items()) if not errors else ():  # gaps only matter in a clean file
        members = [s.feature.geom for s in steps if s.community.id == cid]
        members += [g for g, _a, parent in others if parent == cid]
        gap = outline.difference(shapely.union_all(members))
        if area_m2(gap) > TOLERANCE_M2:
            largest = max(getattr(gap, "geoms", [gap]), key=lambda part: part.area)
            point = largest.representative_point()
            community = next(s.community for s in steps if s.community.id == cid)
            warnings.append(
                (
                    None,
                    community.code,
                    _(
                        "%(m2)s m² of community %(code)s %(name)s is covered by no unit grid (for example near "
                        "%(pos)s).",
                        m2=_m2(area_m2(gap)),
                        code=community.code,
                        name=community.name,
                        pos=f"[{point.x:.6f}, {point.y:.6f}]",
                    ),
                )
            )
    return [s for s in steps if s.feature.number not in bad]


# --- writing -----------------------------------------------------------------------------------------


def _count(steps: list[_Step], counts: dict):
    for step in steps:
        if step.area is None:
            counts["created"] += 1
        elif step.current is None:
            counts["shaped"] += 1
        elif step.current.geometry != step.feature.text:
            counts["redrawn"] += 1
        else:
            counts["unchanged"] += 1
        if step.area is not None and step.area.name != step.feature.name:
            counts["renamed"] += 1


def _shape_row(area_id: int, geom, text: str, valid_from: date, source: str) -> dict:
    west, south, east, north = geom.bounds
    return {
        "area": area_id,
        "geometry": text,
        "min_lon": west,
        "min_lat": south,
        "max_lon": east,
        "max_lat": north,
        "area_m2": round(area_m2(geom), 1),
        "valid_from": valid_from,
        "valid_to": None,
        "source": source[:255],
        "created_at": clock.now(),
    }


def _lock_version() -> str:
    """The shapes' version, locked until the transaction ends (PostgreSQL; SQLite's write lock is held
    from the transaction's start)."""
    query = Setting.select().where(Setting.key == VERSION_KEY)
    return (query if is_sqlite() else query.for_update()).get().value


def _write(steps: list[_Step], valid_from: date, source: str) -> bool:
    """Apply the steps; True when anything the lookup index holds changed (the version must move)."""
    new_areas = [
        {
            "code": s.feature.code,
            "name": s.feature.name,
            "level": "grid",
            "parent": s.community.id,
            "valid_from": valid_from,
        }
        for s in steps
        if s.area is None
    ]
    for chunk in _chunks(new_areas, CHUNK // 5):
        Area.insert_many(chunk).execute()
    created = _areas_by_code([row["code"] for row in new_areas])
    new_rows, closing, renamed = [], [], 0
    for step in steps:
        f = step.feature
        area = step.area or created[f.code]
        if step.area is not None and area.name != f.name:
            renamed += Area.update(name=f.name).where(Area.id == area.id).execute()
        if step.current is not None and step.current.geometry == f.text:
            continue
        if step.current is not None:
            closing.append(step.current.id)
        new_rows.append(_shape_row(area.id, f.geom, f.text, valid_from, source))
    for chunk in _chunks(closing):
        closed = (
            GridShape.update(valid_to=valid_from)
            .where(GridShape.id.in_(chunk) & GridShape.valid_to.is_null())
            .execute()
        )
        if closed != len(chunk):
            raise IntegrityError("a shape was closed by someone else")
    for chunk in _chunks(new_rows, CHUNK // 12):
        GridShape.insert_many(chunk).execute()
    return bool(new_areas or new_rows or renamed)


def import_file(
    source,
    filename,
    *,
    crs: str,
    valid_from: date | None = None,
    accept_warnings=False,
    dry_run=False,
    progress=None,
    user=None,
) -> ImportResult:
    """Import unit-grid shapes from a GeoJSON file (a path, a binary stream or bytes). Raises ImportFileError
    for a file that cannot be read at all. Problems are returned in `errors` (then nothing is written) and
    `warnings` (nothing is written unless `accept_warnings`). `dry_run` checks and counts, writes nothing.
    `progress(stage, done, total)` is called per feature ("checking"), then once before the database work
    ("database"). One transaction, one audit entry for every import that was written."""
    if crs not in CRS:
        raise ImportFileError(_("Unknown coordinate system %(crs)s: use wgs84 or gcj02.", crs=crs))
    filename = display_name(filename)
    valid_from = valid_from or clock.now().date()
    raw = read_features(read_bytes(source))
    result = ImportResult(filename, crs, valid_from, len(raw), dry_run=dry_run)
    planned_version = settings.get(VERSION_KEY, "")
    features = []
    for number, item in enumerate(raw, 1):
        try:
            features.append(parse_feature(number, item, crs))
        except _Bad as problem:
            result.errors.append((number, _raw_code(item), str(problem)))
        if progress:
            progress("checking", number, len(raw))
    result.legacy = [f.code for f in features if f.legacy]
    steps = _tree_problems(features, valid_from, result.errors)
    steps = _shape_problems(steps, result.errors, result.warnings)
    result.errors.sort(key=lambda e: e[0])
    _count(steps, result.counts)
    if progress:
        progress("database", result.total, result.total)
    if dry_run or result.errors or (result.warnings and not accept_warnings):
        return result
    Setting.insert(key=VERSION_KEY, value="").on_conflict_ignore().execute()  # a row to lock
    try:
        with db.atomic():
            if _lock_version() != planned_version:
                raise ImportFileError(
                    _(
                        "Another import changed the unit grids while this file was checked; nothing was written. Import it again."
                    )
                )
            if _write(steps, valid_from, filename):
                grids.bump_version()
            audit.record(
                "grids.import",
                "grids",
                "",
                f"{filename} ({crs}, from {valid_from.isoformat()}): {result.line()}",
                after={
                    "file": filename,
                    "crs": crs,
                    "valid_from": valid_from.isoformat(),
                    "counts": result.counts,
                    "warnings": len(result.warnings),
                    "legacy_codes": result.legacy[:100],
                },
                actor=user,
            )
    except IntegrityError:
        raise ImportFileError(
            _("Someone changed the unit grids during the import; nothing was written. Import the file again.")
        ) from None
    grids.invalidate()
    result.written = True
    return result


# --- export ------------------------------------------------------------------------------------------


def export_text(on: date | None = None) -> str:
    """The unit grids' shapes (current, or on a day) as GeoJSON, one feature per line; importing it back
    (as WGS84) changes nothing."""
    lines = []
    for area, shape in grids.shapes_on(on, "grid"):
        properties = json.dumps({"code": area.code, "name": area.name}, ensure_ascii=False, separators=(",", ":"))
        lines.append(f'{{"type":"Feature","properties":{properties},"geometry":{shape.geometry}}}')
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# --- background imports from the admin page ----------------------------------------------------------


def start(app, data: bytes, filename: str, *, crs, valid_from, accept_warnings, dry_run, user, locale) -> GridImport:
    """Record an import and run it in a background thread; the page polls the returned row."""
    return background.start(
        app, GridImport, data, locale, _work, filename=filename, crs=crs, valid_from=valid_from,
        accept_warnings=accept_warnings, dry_run=dry_run, user=user,
    )  # fmt: skip


def _work(job, data, user, progress) -> dict:
    try:
        result = import_file(
            data,
            job.filename,
            crs=job.crs,
            valid_from=job.valid_from,
            accept_warnings=job.accept_warnings,
            dry_run=job.dry_run,
            progress=progress,
            user=user,
        )
    except ImportFileError as error:
        return {"status": "failed", "error": str(error)}
    if result.written:
        status = "done"
    elif job.dry_run:
        status = "checked"
    else:
        status = "rejected" if result.errors else "warned"
    return {
        "status": status,
        "counts": result.counts,
        "total": result.total,
        "done": result.total,
        "errors": [list(e) for e in result.errors],
        "warnings": [list(w) for w in result.warnings],
        "legacy": result.legacy,
    }


# --- flask grids -------------------------------------------------------------------------------------

grids_cli = AppGroup("grids", help="Unit-grid shapes: import, export, find the grid of a point.")


def _iso_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


def _problem_line(number, code, text) -> str:
    if number is None:
        return f"warning: {text}"
    return f"feature {number} ({code or 'no code'}): {text}"


@grids_cli.command("import", help="Import unit-grid shapes from a GeoJSON FeatureCollection.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", type=click.Choice(list(CRS)), required=True, help="The file's coordinates.")
@click.option("--valid-from", callback=_iso_date, help="New and redrawn shapes start on this day (default: today).")
@click.option("--accept-warnings", is_flag=True, help="Import even when there are gaps between grids.")
@click.option("--dry-run", is_flag=True, help="Check and count only; write nothing.")
def import_command(path, crs, valid_from, accept_warnings, dry_run):
    with db.connection_context(), force_locale("en"):
        try:
            result = import_file(
                path, path, crs=crs, valid_from=valid_from, accept_warnings=accept_warnings, dry_run=dry_run
            )
        except ImportFileError as error:
            raise click.ClickException(f"{Path(path).name}: {error}") from None
    click.echo(
        f"{result.filename}: {result.total} features, {crs.upper()}, shapes valid from {result.valid_from.isoformat()}"
    )
    click.echo(result.line())
    if result.legacy:
        shown = ", ".join(result.legacy[:10]) + (" ..." if len(result.legacy) > 10 else "")
        click.echo(f"legacy 14-digit codes (CJ/T 213-2005): {len(result.legacy)} ({shown})")
    for problem in result.errors + result.warnings:
        click.echo(_problem_line(*problem))
    if result.written:
        click.echo("written" + (f" with {len(result.warnings)} warnings accepted" if result.warnings else ""))
    elif dry_run:
        click.echo("dry run: nothing was written")
    elif result.errors:
        click.echo(f"{len(result.errors)} errors: nothing was written")
        raise SystemExit(1)
    else:
        click.echo(f"{len(result.warnings)} warnings: nothing was written (--accept-warnings imports anyway)")
        raise SystemExit(1)


@grids_cli.command("export", help="Write the unit grids' shapes to a GeoJSON file (WGS84).")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--on", callback=_iso_date, help="The shapes valid on this day (default: the current ones).")
def export_command(path, on):
    with db.connection_context():
        text = export_text(on)
    Path(path).write_text(text, encoding="utf-8")
    count = text.count('"type":"Feature"')
    click.echo(f"{count} unit grids written to {path}")


@grids_cli.command("locate", help="Print the unit grid containing a point.")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.option("--crs", type=click.Choice(list(CRS)), default="wgs84", show_default=True)
def locate_command(lon, lat, crs):
    with db.connection_context():
        found = grids.locate(lon, lat, crs)
    if found is None:
        click.echo(f"no unit grid contains {lon}, {lat} ({crs})")
        raise SystemExit(1)
    legacy = " (legacy 14-digit code)" if code_form(found.code) == "legacy" else ""
    click.echo(f"{found.code} {found.name}{legacy}")


# --- shapes from a lattice: the demo city and the benchmark ------------------------------------------

DEMO_CENTRE = (113.13, 29.37)  # lon, lat: the source city
DEMO_SINCE = date(2020, 1, 1)
CELL_M = 100.0


class Lattice:
    """Cells of about `cell_m` metres on a perturbed lattice: corner (i, j) (i eastwards, j northwards) moved
    by up to `jitter` of a cell, every edge bent at its middle. Neighbouring cells share every vertex, so
    any set of cells tiles without gaps or overlaps; coordinates are rounded as stored."""

    def __init__(self, centre, cols, rows, cell_m=CELL_M, jitter=0.18, seed=1):
        rng = random.Random(seed)
        per_lon, per_lat = grids.metres_per_degree(centre[1])
        west = centre[0] - cols * cell_m / 2 / per_lon
        south = centre[1] - rows * cell_m / 2 / per_lat
        self.cols, self.rows = cols, rows

        def shake(scale):
            return rng.uniform(-scale, scale) * cell_m

        corners = {
            (i, j): (i * cell_m + shake(jitter), j * cell_m + shake(jitter))
            for i in range(cols + 1)
            for j in range(rows + 1)
        }

        def bend(a, b, across):
            (ax, ay), (bx, by) = corners[a], corners[b]
            dx, dy = (0.0, shake(jitter / 2)) if across == "y" else (shake(jitter / 2), 0.0)
            return (ax + bx) / 2 + dx, (ay + by) / 2 + dy

        def degrees(xy):
            return rounded(west + xy[0] / per_lon), rounded(south + xy[1] / per_lat)

        self.corner = {key: degrees(xy) for key, xy in corners.items()}
        self.south_mid = {  # the middle of the edge from corner (i, j) eastwards
            (i, j): degrees(bend((i, j), (i + 1, j), "y")) for i in range(cols) for j in range(rows + 1)
        }
        self.west_mid = {  # the middle of the edge from corner (i, j) northwards
            (i, j): degrees(bend((i, j), (i, j + 1), "x")) for i in range(cols + 1) for j in range(rows)
        }

    def cell(self, i, j):
        c, s, w = self.corner, self.south_mid, self.west_mid
        ring = [c[i, j], s[i, j], c[i + 1, j], w[i + 1, j], c[i + 1, j + 1], s[i, j + 1], c[i, j + 1], w[i, j], c[i, j]]
        return shapely.Polygon(ring)

    def shape(self, cells):
        """The union of cells given as (i, j)."""
        polygons = [self.cell(i, j) for i, j in cells]
        return polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)


# How a 4 × 2 block of cells (numbered 0-3 north row, 4-7 south row, west to east) is shared by n grids,
# each grid's cells in reading order so that grids are numbered west→east, then north→south.
BLOCK_SPLITS = {
    8: [[0], [1], [2], [3], [4], [5], [6], [7]],
    7: [[0], [1], [2], [3, 7], [4], [5], [6]],
    6: [[0, 4], [1], [2], [3, 7], [5], [6]],
    5: [[0, 4], [1, 2], [3, 7], [5], [6]],
    4: [[0, 4], [1, 2], [3, 7], [5, 6]],
}


def _community_cells(n: int) -> tuple[int, list[list[int]]]:
    """(rows of cells, each grid's cells as indexes in reading order of a 4-wide block)."""
    if n in BLOCK_SPLITS:
        return 2, BLOCK_SPLITS[n]
    rows = max(1, math.ceil(n / 4))
    split = [[k] for k in range(n)]
    split[-1] += list(range(n, 4 * rows))  # the last grid takes the rest of its row
    return rows, split


def _demo_layout(areas: list[Area]) -> dict[str, list[tuple[int, int]]]:
    """Unit-grid code → cells (column, row from the north) for the demo tree: communities are 4 cells wide,
    stacked in their street; streets three abreast in their district; districts in two columns."""
    children: dict[int | None, list[Area]] = {}
    for area in sorted(areas, key=lambda a: a.code):
        children.setdefault(area.parent_id, []).append(area)
    layout, columns = {}, [0, 0]  # the rows used so far in each column of districts
    for district in sorted((a for a in areas if a.level == "district"), key=lambda a: a.code):
        blocks = []  # per street: (height, [(community, rows, split)])
        for street in children.get(district.id, []):
            communities = []
            for community in children.get(street.id, []):
                rows, split = _community_cells(len(children.get(community.id, [])))
                communities.append((community, rows, split))
            blocks.append((sum(rows for _c, rows, _s in communities), communities))
        column = columns.index(min(columns))
        top = columns[column]
        for start in range(0, len(blocks), 3):
            band = blocks[start : start + 3]
            for k, (_height, communities) in enumerate(band):
                row = top
                for community, rows, split in communities:
                    grids_here = children.get(community.id, [])
                    for grid_area, cells in zip(grids_here, split, strict=False):
                        layout[grid_area.code] = [(column * 12 + k * 4 + c % 4, row + c // 4) for c in cells]
                    row += rows
            top += max((height for height, _c in band), default=0)
        columns[column] = top
    return layout


def build_demo_shapes(ctx) -> int:
    areas = list(ctx.areas.values())
    layout = _demo_layout(areas)
    if not layout:
        return 0
    rows = max(r for cells in layout.values() for _c, r in cells) + 1
    lattice = Lattice(DEMO_CENTRE, 24, rows, seed=20260501)
    shapes = {}
    for code, cells in layout.items():
        shapes[code] = lattice.shape([(col, rows - 1 - row) for col, row in cells])  # j grows northwards
    by_id = {a.id: a for a in areas}
    for level in ("community", "street", "district"):
        members: dict[str, list] = {}
        for area in areas:
            parent = by_id.get(area.parent_id)
            if area.code in shapes and parent is not None and parent.level == level:
                members.setdefault(parent.code, []).append(shapes[area.code])
        for code, parts in members.items():
            shapes[code] = shapely.union_all(parts)
    with_shape = {s.area_id for s in GridShape.select(GridShape.area)}
    new_rows = []
    for area in sorted(areas, key=lambda a: a.code):
        if area.code in shapes and area.id not in with_shape:
            geom = shapely.orient_polygons(shapes[area.code])
            new_rows.append(_shape_row(area.id, geom, geometry_text(geom), area.valid_from or DEMO_SINCE, "demo"))
    if new_rows:
        with db.atomic():
            for chunk in _chunks(new_rows, CHUNK // 12):
                GridShape.insert_many(chunk).execute()
            grids.bump_version()
        grids.invalidate()
    return len(new_rows)
