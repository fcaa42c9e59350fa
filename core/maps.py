"""The GeoJSON layers behind the maps (static/js/map.js draws them; templates/_map.html places them):
unit grids coloured by a measure, the open cases as pins coloured by their warning light, one case's pin
and grid. Every layer is guarded like a page and scoped like the lists: the counts and pins a user gets
are those of the cases `scope.visible` lets them see.

Measures come from the `map_measures()` hook (called once at start-up; this module gives "open" and
"overdue", core.evaluation "score"): `Measure(name, label, values, bands, available)`.

- `values(user)` returns `{area_id: number}` for the unit grids (missing grids: no data, drawn grey).
  It must apply the user's scoping itself when its numbers come from cases (see `_case_counts`).
- `bands(values)` returns `[Band(low, colour, text), ...]` in ascending `low`: a value takes the colour of
  the last band whose `low` it reaches; the bands are also the map's legend. Default: `count_bands`
  (0 green, then the rest split by the data into yellow, orange and red).
- `available(user)` (optional) says whether the user may use the measure at all; without it, everyone
  with `grids.view` may. The picker lists, and the GeoJSON endpoint answers, only `measures_for(user)`
  (another measure answers 403).

Other layers of every grid map come from the `map_layers(user, area)` hook: a list of
`core.plugins.MapLayer` (area is None on the city map) — empty when the user may not see them."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN, fn

from core import clock, plugins
from core.areas import Area
from core.hookspecs import hookimpl
from core.parsing import parse_id
from core.permissions import login_required, requires, scoped

GREEN, YELLOW, ORANGE, RED, GREY = "#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#9e9e9e"
LIGHT_COLOURS = {"green": GREEN, "yellow": YELLOW, "red": RED}
MAX_PINS = 3000  # the most urgent open cases first; beyond this a map is no way to read them


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


def _case_counts(user, condition) -> dict:
    from core.workorders import scope
    from core.workorders.models import WorkOrder

    query = (
        scope.visible(user, WorkOrder.select(WorkOrder.grid, fn.COUNT(WorkOrder.id).alias("n")))
        .where(condition & WorkOrder.grid.is_null(False))
        .group_by(WorkOrder.grid)
    )
    return {row["grid"]: row["n"] for row in query.dicts()}


def open_counts(user) -> dict:
    from core.workorders import states
    from core.workorders.models import WorkOrder

    return _case_counts(user, WorkOrder.status.in_(list(states.OPEN)))


def overdue_counts(user) -> dict:
    from core.workorders import states
    from core.workorders.models import WorkOrder

    return _case_counts(user, WorkOrder.status.in_(list(states.AT_DEPARTMENT)) & (WorkOrder.due_at < clock.now()))


@hookimpl
def map_measures():
    return [Measure("open", _l("Open cases"), open_counts), Measure("overdue", _l("Overdue cases"), overdue_counts)]


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


def grid_rows(area: Area | None = None, ids=None):
    """(area id, code, name, geometry text) of the current unit grids with a shape: all, those under
    `area` (or `area` itself), or those with the given ids."""
    from core.grids import GridShape

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


# --- routes ------------------------------------------------------------------------------------------

bp = Blueprint("maps", __name__)


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def demo_data(ctx):
    from core.maps_demo import place_demo_orders

    place_demo_orders()


def can_view_cases(user) -> bool:
    return any(user.can(p) for p in ("workorder.view_all", "workorder.view_department", "workorder.view_grid"))


@bp.route("/grids/map.geojson")
@requires("grids.view")
def grids_geojson():
    """Current unit grids, each with label, href, id, value and colour of the chosen measure
    (`measure=` empty: no measure, all grey). `area=<id>`: only the grids under that area; `mine=1`:
    only the grids of the user's own responsibility areas (collectors)."""
    name = request.args.get("measure", "")
    measure = measures().get(name)
    if name and measure is None:
        abort(404)
    if name and name not in measures_for(current_user):
        abort(403)
    area = None
    if request.args.get("area"):
        area = Area.get_or_none(Area.id == request.args.get("area", type=parse_id))
        if area is None:
            abort(404)
    ids = None
    if request.args.get("mine") == "1":
        from core.workorders import scope

        ids = scope.grid_ids(current_user) or None
    values = measure.values(current_user) if measure else {}
    bands = (measure.bands or count_bands)(values) if measure else []
    missing = 0 if measure and measure.bands is None else None  # a count is 0 where nothing was counted
    features = []
    for area_id, code, grid_name, geometry in grid_rows(area, ids):
        value = values.get(area_id, missing)
        properties = {
            "id": area_id,
            "label": f"{grid_name} {code}",
            "href": url_for("grids.grid", area_id=area_id),
            "color": colour_of(value, bands) if measure else "#90a4ae",
        }
        if value is not None:
            properties["value"] = value
        features.append(feature(geometry, properties))
    legend = [[band.colour, band.text] for band in bands]
    if measure and measure.bands is not None:
        legend.append([GREY, _("No data")])
    return geojson_response(features, legend=legend) if measure else geojson_response(features)


def _pin(order, light: str, label_extra="", statuses=None, href=None) -> str:
    """One case's pin. `statuses` (status → label, translated) and `href` (the case links' text before
    the id) let a map of thousands of pins build them once."""
    from core.workorders.states import STATUSES

    status = statuses.get(order.status, order.status) if statuses else str(STATUSES.get(order.status, order.status))
    properties = {
        "id": order.id,
        "label": f"{order.number} {order.category.name if order.category_id else ''}{label_extra}".strip(),
        "value": status,
        "href": f"{href}{order.id}" if href else url_for("workorders.show", order_id=order.id),
        "color": LIGHT_COLOURS.get(light, GREY),
    }
    return feature(point(order.longitude, order.latitude), properties)


@bp.route("/orders/map.geojson")
@login_required
def orders_geojson():
    """Pins of the open cases the user may see that have a location, coloured by their warning light
    (grey: no clock runs, e.g. suspended). `grid=<id>`: only that grid's. The most urgent MAX_PINS."""
    from core.catalogue.models import Category
    from core.workorders import clocks, scope, states
    from core.workorders.models import WorkOrder

    if not can_view_cases(current_user):
        abort(403)
    # only what a pin shows and its light needs: thousands of whole cases cost most of the answer's time
    columns = [WorkOrder.id, WorkOrder.number, WorkOrder.status, WorkOrder.category, WorkOrder.latitude]
    columns += [WorkOrder.longitude, WorkOrder.stage_started_at, WorkOrder.stage_due_at, WorkOrder.stage_unit]
    query = (
        scope.visible(
            current_user, WorkOrder.select(*columns, Category.id, Category.name).join(Category, JOIN.LEFT_OUTER)
        )
        .where(
            WorkOrder.status.in_(list(states.OPEN))
            & WorkOrder.latitude.is_null(False)
            & WorkOrder.longitude.is_null(False)
        )
        .order_by(WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id)
        .limit(MAX_PINS)
    )
    grid = request.args.get("grid", type=parse_id)
    if grid:
        query = query.where(WorkOrder.grid == grid)
    now = clock.now()
    statuses = {status: str(label) for status, label in states.STATUSES.items()}
    href = url_for("workorders.show", order_id=0).removesuffix("0")
    features = [_pin(o, clocks.light(o, now), statuses=statuses, href=href) for o in query]
    legend = [[GREEN, _("on time")], [YELLOW, _("due soon")], [RED, _("overdue")], [GREY, _("no clock running")]]
    return geojson_response(features, legend=legend)


def _visible_order(order_id):
    from core.workorders import scope
    from core.workorders.models import WorkOrder

    order = WorkOrder.get_or_none(WorkOrder.id == order_id)
    if order is None or not can_view_cases(current_user) or not scope.can_see(current_user, order):
        abort(404)
    return order


@bp.route("/orders/<int:order_id>/pin.geojson")
@login_required
@scoped("order_id", kind="workorder")
def order_pin(order_id):
    """One case's location (none if it has no coordinates), for its page."""
    from core.workorders import clocks

    order = _visible_order(order_id)
    if order.latitude is None or order.longitude is None:
        return geojson_response([])
    return geojson_response([_pin(order, clocks.light(order))])


@bp.route("/orders/<int:order_id>/grid.geojson")
@login_required
@scoped("order_id", kind="workorder")
def order_grid(order_id):
    """The current outline of a case's unit grid, for its page (handlers see it without grids.view)."""
    order = _visible_order(order_id)
    if not order.grid_id:
        return geojson_response([])
    features = [
        feature(geometry, {"label": f"{name} {code}", "color": "#90a4ae"})
        for _id, code, name, geometry in grid_rows(ids=[order.grid_id])
    ]
    return geojson_response(features)


def case_layers(order) -> list[dict]:
    """The layers of a case page's map (used only when the case has coordinates)."""
    return [
        {
            "name": _("Unit grid"),
            "url": url_for("maps.order_grid", order_id=order.id),
            "kind": "areas",
            "fit": False,
        },
        {"name": _("Case"), "url": url_for("maps.order_pin", order_id=order.id), "kind": "points", "fit": True},
    ]


def grid_map_layers(user, measure: str = "open", **grid_args) -> list[dict]:
    """The layers of a map of unit grids: the grids coloured by `measure`, and the open cases as
    clustered pins for users who may see cases."""
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
    if can_view_cases(user):
        pin_args = {"grid": grid_args["area"]} if "area" in grid_args else {}
        layers.append(
            {
                "name": _("Open cases"),
                "url": url_for("maps.orders_geojson", **pin_args),
                "kind": "points",
                "cluster": True,
                "fit": False,
            }
        )
    area = Area.get_or_none(Area.id == grid_args["area"]) if grid_args.get("area") else None
    layers += [layer.as_dict() for layer in plugins.host().collect("map_layers", user=user, area=area)]
    return layers


def pick_layers() -> list[dict]:
    """The report form's map: the user's own grids (collectors), or every grid, as outlines."""
    if not current_user.can("grids.view"):
        return []
    from core.workorders import scope

    mine = {"mine": "1"} if scope.grid_ids(current_user) else {}
    return [{"name": _("Unit grids"), "url": url_for("maps.grids_geojson", **mine), "kind": "areas", "fit": True}]


def responsible_people(order) -> list:
    """The grid's responsible people for the case's department (or, before dispatch, for the department
    suggested for it)."""
    from core.responsibility import people_for

    return people_for(order.grid_id, order.department_id or order.suggested_department_id)


@hookimpl
def startup(app):
    app.jinja_env.globals.update(
        case_layers=case_layers, pick_layers=pick_layers, responsible_people=responsible_people
    )
