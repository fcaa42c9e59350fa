"""The dashboard's own URLs: each widget as a fragment (what its htmx polling fetches, or a page of its
own without htmx) and the list of cases overdue now."""

from flask import Blueprint, abort, request
from flask_login import current_user
from peewee import JOIN

from core import clock
from core.areas import Area
from core.catalogue import Category
from core.dashboard import WIDGETS, figures, widget
from core.dashboard.widgets import can_view_cases, scope_label
from core.org import Department
from core.parsing import parse_int
from core.permissions import requires, scoped
from core.web import page
from core.workorders import workflow
from core.workorders.models import WorkOrder

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
PAGE_SIZE = 50


@bp.route("/widgets/<name>")
@requires("dashboard.view")
@scoped("name", kind="widget")
def fragment(name):
    found = widget(name, current_user._get_current_object()) if name in WIDGETS else None
    if found is None:
        abort(404)
    return page("dashboard/widget.html", "dashboard/_fragment.html", f"dash-{name}", widget=found)


# A widget polling itself is not the user doing something: it does not hold off the idle logout
# (core.auth), or a dashboard left open would keep its session alive for ever.
fragment.polled = True


@bp.route("/overdue")
@requires("dashboard.view")
def overdue():
    if not can_view_cases(current_user):
        abort(403)
    now = clock.now()
    query = figures.overdue_now(workflow.scope_condition(current_user), now)
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
        statuses=workflow.STATUSES,
        scope_label=scope_label(current_user),
    )
