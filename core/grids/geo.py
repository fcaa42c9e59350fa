"""Unit-grid geometry helpers: GCJ-02 ⇄ WGS84, the rough box around China, areas in square metres on the
ellipsoid, and the stored GeoJSON form of a shape (see core/grids/__init__.py for the choices)."""

import json
import math

import numpy as np
import shapely
from flask_babel import lazy_gettext as _l

CRS = {
    "wgs84": _l("WGS84 (GPS, most GIS software)"),
    "gcj02": _l("GCJ-02 (Amap/Gaode, Tencent and other maps in China)"),
}
CHINA = (73.0, 3.0, 136.0, 54.0)  # a rough box around China: min lon, min lat, max lon, max lat
DECIMALS = 7  # stored coordinates: 1e-7° is about 1 cm
TOLERANCE_M2 = 1.0  # overlaps, spill-overs and gaps smaller than this are drawing noise

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
