"""The layer machinery behind the maps (static/js/map.js draws them; templates/_map.html places them):
measures that colour the unit grids, GeoJSON features and responses, and the layers of a map of unit
grids. A building block: the grids' pages, the maps feature (core/maps/, the grids' GeoJSON), the work
orders (case counts, pins and their warning lights) and the evaluation (scores) all use it, through the
hooks below for what they add.

Measures come from the `map_measures()` hook (called once at start-up; core.workorders gives "open" and
"overdue", core.evaluation "score"): `Measure(name, label, values, bands, available)`.

- `values(user)` returns `{area_id: number}` for the unit grids (missing grids: no data, drawn grey).
  It must apply the user's scoping itself when its numbers come from cases.
- `bands(values)` returns `[Band(low, colour, text), ...]` in ascending `low`: a value takes the colour of
  the last band whose `low` it reaches; the bands are also the map's legend. Default: `count_bands`
  (0 green, then the rest split by the data into yellow, orange and red).
- `available(user)` (optional) says whether the user may use the measure at all; without it, everyone
  with `grids.view` may. The picker lists, and the GeoJSON endpoint answers, only `measures_for(user)`
  (another measure answers 403).

Other layers of every grid map come from the `map_layers(user, area)` hook: a list of
`core.plugins.MapLayer` (area is None on the city map) — empty when the user may not see them (the
open cases' pins are core.workorders' layer)."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, url_for
from flask_babel import gettext as _

from core import plugins
from core.areas import Area

GREEN, YELLOW, ORANGE, RED, GREY = "#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#9e9e9e"


@dataclass(frozen=True)
class Band:
    low: float
    colour: str
    text: str


@dataclass(frozen=True)
class Measure:
    name: str  # unique across plugins: the map's `measure=` parameter
    label: object
    values: Callable  # (user) -> {area_id: number}
    bands: Callable | None = None  # (values) -> [Band, ...]; None: count_bands
    available: Callable | None = None  # (user) -> bool; None: every user with grids.view


def measures() -> dict[str, Measure]:
    """Every measure the enabled plugins registered (map_measures), in load order."""
    return {measure.name: measure for _, measure in plugins.host().items("map_measures")}


def measures_for(user) -> dict[str, Measure]:
    """The registered measures this user may use, in registration order."""
    return {name: m for name, m in measures().items() if m.available is None or m.available(user)}


def count_bands(values: dict) -> list[Band]:
    """For counts of things that should be none: 0 green, then thresholds from the data (the median and
    the 90th percentile of the non-zero values: above it is red) for yellow, orange and red."""
    positive = sorted(v for v in values.values() if v and v > 0)
    bands = [Band(0, GREEN, "0")]
    if not positive:
        return bands
    median = max(positive[len(positive) // 2], 1)
    high = max(positive[int(0.9 * (len(positive) - 1))], median + 1)
    lows = [1, median + 1, high + 1] if median > 1 else [1, 2, high + 1]
    colours = [YELLOW, ORANGE, RED]
    for index, (low, colour) in enumerate(zip(lows, colours, strict=True)):
        top = lows[index + 1] - 1 if index + 1 < len(lows) else None
        if top is not None and top < low:
            continue
        if low > positive[-1]:
            break
        text = f"≥ {_fmt(low)}" if top is None else (_fmt(low) if top == low else f"{_fmt(low)}–{_fmt(top)}")
        bands.append(Band(low, colour, text))
    return bands


def _fmt(number) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def colour_of(value, bands: list[Band]) -> str:
    if value is None:
        return GREY
    chosen = GREY
    for band in bands:
        if value >= band.low:
            chosen = band.colour
    return chosen


# --- building GeoJSON --------------------------------------------------------------------------------


def geojson_response(features: list[str], **members) -> Response:
    """A FeatureCollection from features already serialised (grid geometries are stored as GeoJSON text,
    so they are pasted in, not parsed and dumped again)."""
    extra = "".join(f',"{key}":{json.dumps(value, ensure_ascii=False)}' for key, value in members.items())
    body = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]" + extra + "}"
    return Response(body, mimetype="application/geo+json")


def feature(geometry_text: str, properties: dict) -> str:
    return (
        '{"type":"Feature","geometry":'
        + geometry_text
        + ',"properties":'
        + json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        + "}"
    )


def point(lon, lat) -> str:
    return json.dumps({"type": "Point", "coordinates": [float(lon), float(lat)]})


def grid_map_layers(user, measure: str = "open", **grid_args) -> list[dict]:
    """The layers of a map of unit grids: the grids coloured by `measure`, then the layers of the
    `map_layers` hook (core.workorders' open cases as clustered pins first, for users who may see cases)."""
    name = _("Unit grids")
    usable = measures_for(user)
    if measure not in usable:
        measure = ""
    if measure:
        name = f"{name}: {usable[measure].label}"
    layers = [
        {
            "name": name,
            "url": url_for("maps.grids_geojson", measure=measure, **grid_args),
            "kind": "areas",
            "fit": True,
        }
    ]
    area = Area.get_or_none(Area.id == grid_args["area"]) if grid_args.get("area") else None
    layers += [layer.as_dict() for layer in plugins.host().collect("map_layers", user=user, area=area)]
    return layers
