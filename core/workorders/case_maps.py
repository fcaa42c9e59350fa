"""What work orders add to the maps (core/maps/): the grids' measures "open" and "overdue" (counted
from the cases the user may see, `scope.visible`), the open cases as pins coloured by their warning light,
one case's pin and grid for its page, and the report form's map. The routes are added to the maps
blueprint so that their endpoint names (`maps.orders_geojson`, ...) are those the pages have always used;
the hooks that contribute them are in core/workorders/__init__.py."""

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN, fn

from core import clock
from core.catalogue.models import Category
from core.grids.models import grid_rows
from core.map_layers import GREEN, GREY, RED, YELLOW, Measure, feature, geojson_response, point
from core.maps.views import bp
from core.parsing import parse_id
from core.permissions import login_required, scoped
from core.plugins import MapLayer
from core.workorders import clocks, scope, states
from core.workorders.models import WorkOrder

LIGHT_COLOURS = {"green": GREEN, "yellow": YELLOW, "red": RED}
MAX_PINS = 3000  # the most urgent open cases first; beyond this a map is no way to read them


def _case_counts(user, condition) -> dict:
    query = (
        scope.visible(user, WorkOrder.select(WorkOrder.grid, fn.COUNT(WorkOrder.id).alias("n")))
        .where(condition & WorkOrder.grid.is_null(False))
        .group_by(WorkOrder.grid)
    )
    return {row["grid"]: row["n"] for row in query.dicts()}


def open_counts(user) -> dict:
    return _case_counts(user, WorkOrder.status.in_(list(states.OPEN)))


def overdue_counts(user) -> dict:
    return _case_counts(user, WorkOrder.status.in_(list(states.AT_DEPARTMENT)) & (WorkOrder.due_at < clock.now()))


def measures():
    """The grids' measures of cases (the map_measures hook, core/workorders/__init__.py)."""
    return [Measure("open", _l("Open cases"), open_counts), Measure("overdue", _l("Overdue cases"), overdue_counts)]


# --- pins ------------------------------------------------------------------------------------------


def _pin(order, light: str, label_extra="", statuses=None, href=None) -> str:
    """One case's pin. `statuses` (status → label, translated) and `href` (the case links' text before
    the id) let a map of thousands of pins build them once."""
    status = (
        statuses.get(order.status, order.status) if statuses else str(states.STATUSES.get(order.status, order.status))
    )
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
    if not scope.can_view_cases(current_user):
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
    order = WorkOrder.get_or_none(WorkOrder.id == order_id)
    if order is None or not scope.can_view_cases(current_user) or not scope.can_see(current_user, order):
        abort(404)
    return order


@bp.route("/orders/<int:order_id>/pin.geojson")
@login_required
@scoped("order_id", kind="workorder")
def order_pin(order_id):
    """One case's location (none if it has no coordinates), for its page."""
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


def grid_layers(user, area) -> list[MapLayer]:
    """The open cases as clustered pins on a map of unit grids (only `area`'s grid's on a grid's map),
    for users who may see cases."""
    if not scope.can_view_cases(user):
        return []
    pin_args = {"grid": area.id} if area is not None else {}
    return [MapLayer(_("Open cases"), url_for("maps.orders_geojson", **pin_args), kind="points", cluster=True)]


def pick_layers() -> list[dict]:
    """The report form's map: the user's own grids (collectors), or every grid, as outlines."""
    if not current_user.can("grids.view"):
        return []
    mine = {"mine": "1"} if scope.grid_ids(current_user) else {}
    return [{"name": _("Unit grids"), "url": url_for("maps.grids_geojson", **mine), "kind": "areas", "fit": True}]
