"""The dashboard's own URLs: each widget as a fragment (what its htmx polling fetches, or a page of its
own without htmx), the field home's nearby cases, the list of cases overdue now, and the wall display
(docs/dashboard.md)."""

from datetime import datetime

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.dashboard import WIDGETS, field, figures, widget
from core.dashboard.widgets import can_view_cases, scope_label
from core.org import Department
from core.parsing import parse_int
from core.permissions import requires, scoped
from core.plugins import host
from core.sessions import max_age
from core.web import htmx, page
from core.workorders import states
from core.workorders.models import WorkOrder
from core.workorders.nearby import NEARBY_METRES, parse_near
from core.workorders.scope import scope_condition

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
PAGE_SIZE = 50
# The core widgets on the wall, in its grid's order (static/css/wall.css places them by name).
WALL_WIDGETS = ("today", "rates", "map", "overdue", "feed")


@bp.route("/widgets/<name>")
@requires("dashboard.view")
@scoped("name", kind="widget")
def fragment(name):
    found = widget(name, current_user._get_current_object()) if name in WIDGETS else None
    if found is None:
        abort(404)
    target = f"dash-{name}"
    # polled: the answer replaces the widget's polled element only (the map widget leaves its map out)
    polled = bool(htmx and htmx.target == target)
    return page("dashboard/widget.html", "dashboard/_fragment.html", target, widget=found, polled=polled)


# A widget polling itself is not the user doing something: it does not hold off the idle logout
# (core.auth), or a dashboard left open would keep its session alive for ever.
fragment.polled = True


@bp.route("/nearby")
@requires("dashboard.view")
def nearby():
    """The field home's open cases near the phone (`lat`, `lon` from the browser's geolocation)."""
    user = current_user._get_current_object()
    if not can_view_cases(user):
        abort(403)
    near = parse_near(f"{request.args.get('lat', '')},{request.args.get('lon', '')}")
    context = {"near": near, "orders": [], "radius": NEARBY_METRES, "now": clock.now()}
    status = 200
    if near is None:
        context["problem"] = _("The position could not be read: latitude −90 to 90, longitude −180 to 180.")
        status = 422
    else:
        context["orders"] = field.nearby_open(user, *near)
    return page("dashboard/nearby.html", "dashboard/_nearby.html", "nearby", status=status, **context)


@bp.route("/overdue")
@requires("dashboard.view")
def overdue():
    if not can_view_cases(current_user):
        abort(403)
    now = clock.now()
    query = figures.overdue_now(scope_condition(current_user), now)
    total = query.count()
    page_no = max(request.args.get("page", 1, type=parse_int), 1)
    rows = list(
        query.select(WorkOrder, Category, Area, Department)
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Department, JOIN.LEFT_OUTER)
        .order_by(WorkOrder.due_at, WorkOrder.id)
        .paginate(page_no, PAGE_SIZE)
    )
    return page(
        "dashboard/overdue.html",
        "dashboard/_overdue_rows.html",
        "overdue-rows",
        rows=rows,
        total=total,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        now=now,
        statuses=states.STATUSES,
        scope_label=scope_label(current_user),
    )


def campaign_widgets(user) -> list:
    """The dashboard widgets of the installed plugins (campaigns such as zombie cars), not those of the
    core's built-in modules: the wall shows the core's figures by name and these beside them."""
    infos = host().infos
    found = host().call_each("dashboard_widgets", user=user)
    widgets = [w for plugin, items in found if infos[plugin].source != "builtin" for w in items]
    return sorted(widgets, key=lambda w: w.order)


@bp.route("/wall")
@requires("dashboard.view")
def wall():
    user = current_user._get_current_object()
    now = clock.now()
    widgets = [(name, widget(name, user, now)) for name in WALL_WIDGETS]
    login_at = session.get("login_at")
    return render_template(
        "dashboard/wall.html",
        widgets=[(name, found) for name, found in widgets if found is not None],
        campaigns=campaign_widgets(user),
        refresh=int(current_app.config["DASHBOARD_REFRESH_SECONDS"]),
        scope_label=scope_label(user),
        session_ends=datetime.fromisoformat(login_at) + max_age() if login_at else None,
        now=clock.now(),
    )


@bp.route("/wall/campaigns")
@requires("dashboard.view")
def wall_campaigns():
    """The wall's campaign widgets, for its polling (they do not poll themselves on the home page)."""
    if not (htmx and htmx.target == "wall-campaigns"):
        return redirect(url_for("dashboard.wall"))
    return render_template(
        "dashboard/_wall_campaigns.html",
        campaigns=campaign_widgets(current_user._get_current_object()),
        refresh=int(current_app.config["DASHBOARD_REFRESH_SECONDS"]),
    )


wall_campaigns.polled = True  # like the widgets' fragments: refreshing is not activity
