"""Reading a grid file: the bytes of a GeoJSON FeatureCollection (UTF-8, or GBK from older Chinese GIS
tools), each feature checked on its own (code, name, rings, place, validity) and turned into a WGS84,
rounded, oriented shape. A file that cannot be read at all is refused whole (ImportFileError: the bytes
become text in core.importing.decoding, as for every import); a feature that cannot be used raises _Bad,
which the importer lists by feature number and code."""

import json
import math
import re
import unicodedata
from dataclasses import dataclass

import shapely
from flask_babel import gettext as _

from core.areas import Area
from core.grids.geo import geometry_text, in_china, rounded, to_wgs84
from core.grids.models import code_form
from core.importing import decoding
from core.importing.decoding import ImportRefused

MAX_BYTES = 50 * 1024 * 1024
ACCEPTED_CRS_NAMES = ("crs84", "4326", "4490")  # WGS84 lon/lat, and CGCS2000 (the same within centimetres)
VALIDITY_AT = re.compile(r"\[([-+0-9.eE]+) ([-+0-9.eE]+)\]")


ImportFileError = ImportRefused  # the file cannot be imported at all; str() says why (core.importing)


class _Bad(Exception):
    """One feature cannot be used: the message says why."""


@dataclass
class Feature:
    number: int  # 1-based position in the file
    code: str
    name: str
    legacy: bool
    geom: object  # shapely Polygon or MultiPolygon, WGS84, rounded, oriented
    text: str  # its stored form (core.grids.geo.geometry_text)

    @property
    def community(self) -> str:
        return self.code[:12]


def display_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "upload.geojson"


def read_bytes(source) -> bytes:
    """A path, a binary stream or bytes, at most MAX_BYTES of it."""
    return decoding.read_bytes(source, MAX_BYTES)


def read_features(data: bytes) -> list:
    """The raw features of a GeoJSON FeatureCollection, or ImportFileError."""
    text = decoding.decode_text(data)  # GBK too: some Chinese GIS tools still write it
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
