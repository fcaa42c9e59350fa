"""The case lists: the inboxes per role with their filters, order and pages, the list's Excel export, and
dispatching the ticked cases at once."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.exports.jobs import going_for
from core.org import department_tree
from core.parsing import parse_id, parse_int
from core.permissions import login_required, requires
from core.web import page
from core.workorders import clocks, nearby, queries, states, workflow
from core.workorders import export as case_export
from core.workorders.models import SOURCES, WorkOrder
from core.workorders.scope import can_view_cases
from core.workorders.states import STATUSES
from core.workorders.views import bp, filters, posted_version
from core.workorders.workflow import WorkflowError


@bp.route("/")
@login_required
def inbox():
    if not can_view_cases(current_user):
        abort(403)
    all_boxes = queries.boxes()
    box, mine, query, statuses = queries.list_query(current_user, request.args, all_boxes)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), queries.MAX_PAGE)
    limit = current_app.config["ORDER_LIST_COUNT_LIMIT"]
    sort = request.args.get("sort")
    refused = queries.sort_refused(query, statuses, sort, current_app.config["ORDER_LIST_SORT_LIMIT"], box)
    if refused:
        sort = None  # most urgent first, with a note saying why
    near = nearby.parse_near(request.args.get("near"))
    parts = queries.ordered_parts(query, statuses, sort, near)
    total, more, rows = queries.one_page(parts, page_no, limit)
    now = clock.now()
    column, descending = queries.parse_sort(sort)
    return page(
        "workorders/inbox.html",
        "workorders/_rows.html",
        "order-rows",
        box=box,
        sort_column=column,
        sort_descending=descending,
        sort_refused=refused,
        sort_limit=current_app.config["ORDER_LIST_SORT_LIMIT"],
        list_clocks=clocks.ListClocks(now),
        column_labels=column_labels(),
        source_labels={key: str(label) for key, label in SOURCES.items()},
        saved_filters=filters.saved_of(current_user),
        filter_link=filters.link,
        current_query=filters.clean_query(request.args.items(multi=True)),
        boxes=[(name, all_boxes[name][0]) for name in mine],
        rows=[(order, clocks.light(order, now)) for order in rows],
        total=total,
        more=more,  # total is a lower bound: there are more than `total` cases
        page_no=page_no,
        # with `more`, the pages beyond these exist but were not counted
        pages=max(total // queries.PAGE_SIZE if more else (total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1),
        # translated once here rather than once per row
        statuses={key: str(label) for key, label in STATUSES.items()},
        light_labels={"green": _("on time"), "yellow": _("due soon"), "red": _("overdue")},
        suggested_label=_("suggested department"),
        dispatchable=states.BEFORE_DISPATCH,
        sources=SOURCES,
        departments=dispatch_departments() if box == "to_dispatch" and current_user.can("workorder.dispatch") else [],
        export_job=going_for(current_user),
        now=now,
        near=near if request.args.get("sort") == "near" else None,
    )


def column_labels() -> dict[str, str]:
    """The list's columns (queries.COLUMNS) as its header names them, in its order."""
    return {
        "number": _("Number"),
        "category": _("Category"),
        "description": _("Description"),
        "address": _("Address"),
        "source": _("Source"),
        "grid": _("Grid"),
        "department": _("Department"),
        "status": _("Status"),
        "time_left": _("Time left"),
        "elapsed": _("Elapsed"),
    }


@bp.route("/export", methods=["POST"])
@login_required
def export():
    """Export the list as filtered (the filter form's values come with the request) to Excel."""
    if not can_view_cases(current_user):
        abort(403)
    return case_export.start(request.form)


def dispatch_departments():
    return [(depth, d) for depth, d in department_tree() if d.type in states.HANDLING_TYPES]


@bp.route("/bulk-dispatch", methods=["POST"])
@requires("workorder.dispatch")
def bulk_dispatch():
    """Dispatch the ticked cases to the department chosen, or ("to" = "suggested") each to its own
    suggested department."""
    ticked = [order_id for order_id in map(parse_id, request.form.getlist("order")) if order_id]
    as_suggested = request.form.get("to") == "suggested"
    department_of = {order_id: parse_id(request.form.get("department")) for order_id in ticked}
    if as_suggested and ticked:
        rows = WorkOrder.select(WorkOrder.id, WorkOrder.suggested_department, WorkOrder.department)
        department_of = {
            # a returned case is not sent back to the department that returned it
            order_id: suggestion if suggestion != current else None
            for order_id, suggestion, current in rows.where(WorkOrder.id.in_(ticked)).tuples()
        }
    done, refused = 0, []
    for order_id in ticked:
        department = department_of.get(order_id)
        try:
            version = posted_version(f"v{order_id}")
            if department is None and as_suggested:
                raise WorkflowError(_("No department is suggested for it: choose one."))
            workflow.transition(
                order_id,
                "dispatch",
                actor=current_user._get_current_object(),
                version=version,
                data={"department": department},
            )
            done += 1
        except WorkflowError as error:
            number = WorkOrder.select(WorkOrder.number).where(WorkOrder.id == order_id).scalar() or order_id
            refused.append(f"{number}: {error.message}")
    if done:
        flash(_("%(n)d cases dispatched.", n=done), "success")
    for line in refused:
        flash(line, "error")
    if not done and not refused:
        flash(_("Tick the cases to dispatch first."), "warning")
    return redirect(url_for("workorders.inbox", box="to_dispatch"))
