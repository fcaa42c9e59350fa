"""One case: its page with the actions the user may take, the filing-standard rows to file it under
another category, taking an action, and its photos, served only to those who may see the case."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

from core import photos
from core.areas import Area
from core.attachments.service import attachments_of
from core.catalogue.models import Category, FilingStandard, standards_for
from core.org import Department, User
from core.parsing import parse_id
from core.permissions import login_required, requires, scoped
from core.plugins import host
from core.web import page
from core.workorders import actors, cases, clocks, department, hotline, scope, states, workflow
from core.workorders.models import SOURCES, WorkOrder, WorkOrderEvent
from core.workorders.scope import can_view_cases
from core.workorders.states import ACTIONS, STATUSES
from core.workorders.views import bp, lists, posted_version, report
from core.workorders.workflow import WorkflowError


def load_order(order_id) -> WorkOrder | None:
    """The case with the rows its page names (category, grid, department, reporter, standard), in one query."""
    reporter = User.alias()
    return (
        WorkOrder.select(
            WorkOrder, Category, Area, Department, reporter.id, reporter.username, reporter.name, FilingStandard
        )
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Department, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, reporter, JOIN.LEFT_OUTER, on=(WorkOrder.reporter == reporter.id), attr="reporter")
        .join_from(WorkOrder, FilingStandard, JOIN.LEFT_OUTER)
        .where(WorkOrder.id == order_id)
        .get_or_none()
    )


def visible_order(order_id) -> WorkOrder:
    order = load_order(order_id) if can_view_cases(current_user) else None
    if order is None or not scope.can_see(current_user, order):
        abort(404)  # someone else's case: as if it did not exist
    return order


def case_context(order):
    events = list(
        WorkOrderEvent.select(WorkOrderEvent, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(WorkOrderEvent.order == order)
        .order_by(WorkOrderEvent.id)
    )
    links = attachments_of("workorder", order.id)
    photos_by_stage = {
        stage: [link for link in links if link.stage == stage] for stage in ("report", "handling", "verification")
    }
    actions = [name for name in workflow.allowed_actions(order, current_user) if name not in states.NOT_OFFERED]
    return {
        "order": order,
        "events": events,
        "photos": photos_by_stage,
        "actions": [(name, ACTIONS[name]) for name in actions],
        "light": clocks.light(order),
        "overdue": clocks.overdue(order),
        "statuses": STATUSES,
        "stages": states.STAGES,
        "dispatchable": states.BEFORE_DISPATCH,
        "sources": SOURCES,
        "action_labels": {name: a.label for name, a in ACTIONS.items()},
        "request_labels": {kind: department.request_label(kind) for kind in states.HEAD_REQUESTS.values()},
        "outcomes": cases.OUTCOMES,
        "system_actors": actors.labels(),
        # what only the filing and dispatch forms list
        "standards": standards_for(order.category) if "file" in actions and order.category_id else [],
        "file_categories": report.categories() if "file" in actions else [],
        "departments": lists.dispatch_departments() if "dispatch" in actions else [],
        "assignees": department.assignable(order) if "assign" in actions else [],
        "assignee": User.get_or_none(User.id == order.assignee_id) if order.assignee_id else None,
        "head_request": department.request_label(order.head_request) if order.head_request else "",
        "show_caller": current_user.can("workorder.view_all"),
        "merged_callers": hotline.callers(order),
        "call_backs": hotline.call_backs(order),
        "call_back_outcomes": hotline.CALL_BACK_OUTCOMES,
        "can_call_back": order.status == "closed"
        and current_user.can("workorder.intake")
        and bool(hotline.phones(order)),
        "panels": sorted(
            host().collect("workorder_panels", workorder=order, user=current_user._get_current_object()),
            key=lambda panel: panel.order,
        ),
        "component_url": _component_url(order),
    }


def _component_url(order) -> str | None:
    """The link to the census component a case is about, when the census plugin is on and the user may
    see it."""
    if order.component_id and "components.show" in current_app.view_functions:
        if current_user.can("components.view"):
            return url_for("components.show", component_id=order.component_id)
    return None


@bp.route("/<int:order_id>")
@login_required
@scoped("order_id", kind="workorder")
def show(order_id):
    order = visible_order(order_id)
    return page("workorders/show.html", **case_context(order))


@bp.route("/<int:order_id>/standards")
@requires("workorder.file")
@scoped("order_id", kind="workorder")
def standards(order_id):
    """The filing-standard rows of another category, for filing a case under it (the case page's file form)."""
    visible_order(order_id)
    errors = []
    category = report.category_chosen(request.args, errors)
    found = standards_for(category) if category else []
    for standard in found:
        standard.category = category
    error = errors[0] if errors else ""
    return page("workorders/_standard_choices.html", standards=found, other=True, error=error)


@bp.route("/<int:order_id>/act", methods=["POST"])
@login_required
@scoped("order_id", kind="workorder")
def act(order_id):
    order = visible_order(order_id)
    action = request.form.get("action", "")
    fields = ("standard", "department", "until", "assignee")
    data = {key: request.form.get(key) for key in fields if request.form.get(key)}
    for key in ("standard", "department", "assignee"):
        if key in data:
            data[key] = parse_id(data[key])
    try:
        attached = report.claimed_photos(request.form.getlist("photo_ids")) + report.store_uploads()
        if len(attached) > report.MAX_PHOTOS:
            raise WorkflowError(_("Add at most %(n)d photos.", n=report.MAX_PHOTOS))
        workflow.transition(
            order.id,
            action,
            actor=current_user._get_current_object(),
            version=posted_version(),
            reason=request.form.get("reason", ""),
            data=data,
            photos=attached,
        )
    except (WorkflowError, photos.PhotoError) as error:
        text = error.message if isinstance(error, WorkflowError) else str(error)
        status = getattr(error, "status", 422)
        fresh = load_order(order.id)
        context = case_context(fresh)
        return page("workorders/show.html", status=status, error=text, failed_action=action, **context)
    flash(_("%(action)s: done.", action=ACTIONS[action].label), "success")
    return redirect(url_for("workorders.show", order_id=order.id))
