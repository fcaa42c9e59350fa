"""Work orders: the closed loop from report to close (domain.md §3), as a built-in plugin module."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import GridSection, MenuItem, UpgradeStep, Widget
from core.scheduler import JobSpec

CENTRE = ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"]
PERMISSIONS = [
    ("workorder.view_all", _l("See every case"), CENTRE),
    ("workorder.view_department", _l("See the cases of one's own department"), ["handler", "dept_head"]),
    ("workorder.view_grid", _l("See the cases in one's own grids"), ["collector"]),
    ("workorder.report", _l("Report a problem found on patrol"), ["collector"]),
    ("workorder.intake", _l("Take citizen and hotline reports; refuse at intake"), ["intake"]),
    ("workorder.verify", _l("Verify citizen reports on site"), ["collector"]),
    ("workorder.file", _l("File or void cases"), ["shift_leader"]),
    ("workorder.dispatch", _l("Dispatch cases to departments"), ["dispatcher"]),
    ("workorder.handle", _l("Handle cases of one's own department"), ["handler", "dept_head"]),
    ("workorder.assign", _l("Assign the department's cases; approve its handlers' requests"), ["dept_head"]),
    ("workorder.approve", _l("Approve or refuse extensions and suspensions"), ["dispatcher", "shift_leader"]),
    ("workorder.check", _l("Check handled cases on site"), ["collector"]),
    ("workorder.close", _l("Close checked cases"), ["shift_leader"]),
    ("workorder.supervise", _l("Write supervision notes"), ["dispatcher", "shift_leader", "leader"]),
]


@hookimpl
def register_permissions():
    return [{"name": name, "label": label, "roles": roles} for name, label, roles in PERMISSIONS]


@hookimpl
def attachment_subjects():
    from core.attachments.subjects import AttachmentSubject
    from core.workorders.scope import may_view_attachments

    return [AttachmentSubject("workorder", _l("Case"), may_view_attachments)]


@hookimpl
def register_blueprints():
    from core.workorders import (
        case_maps,  # noqa: F401 (the case pins' routes, on the maps blueprint, before it is registered)
        intake,  # noqa: F401 (hotline intake's routes, on the same blueprint)
    )
    from core.workorders.views import (
        bp,
        case,  # noqa: F401 (the page modules add their routes to bp)
        filters,  # noqa: F401
        lists,  # noqa: F401
        report,  # noqa: F401
    )

    return [bp]


@hookimpl
def component_sections(component, user):
    from core.workorders.queries import about_component
    from core.workorders.states import STATUSES

    orders = about_component(component, user)
    if orders is None:
        return []
    context = {"orders": orders, "statuses": STATUSES}
    return [GridSection("orders", _l("Cases about this component"), "workorders/_component_section.html", context, 20)]


@hookimpl
def notification_subjects():
    from core.audit import link_to
    from core.plugins import NotificationSubject
    from core.workorders.models import WorkOrder
    from core.workorders.notifications import KINDS

    return [NotificationSubject("workorder", link_to("workorders.show", id_arg="order_id"), WorkOrder, KINDS)]


@hookimpl
def register_exports():
    from core.workorders.export import EXPORT

    return [EXPORT]


@hookimpl
def upgrade_steps():
    from core.workorders.clocks import fill_warn_times

    return [UpgradeStep("workorders.warn_times", fill_warn_times, once=True)]  # open cases from before migration 0014


@hookimpl
def register_jobs():
    from core.workorders.jobs import resume_suspended, supervise

    return [
        JobSpec(
            "workorders.supervise",
            _l("Remind departments of cases near or past their deadline"),
            supervise,
            every=timedelta(minutes=10),
        ),
        JobSpec(
            "workorders.resume",
            _l("Resume suspended cases whose end date has come"),
            resume_suspended,
            cron="5 0 * * *",
        ),
    ]


@hookimpl
def demo_data(ctx):
    from flask import current_app

    from core.catalogue.demo import street_offices
    from core.grids.demo import demo_shapes
    from core.workorders.demo import load_history, prepare_reference_data
    from core.workorders.demo_locations import place_demo_orders

    prepare_reference_data()  # the catalogue, which the dispatch rules name
    street_offices(ctx)  # before the history, whose cases are suggested by them
    load_history(ctx, current_app.config["DEMO_HISTORY_DAYS"], current_app.config["DEMO_CASES_PER_DAY"])
    demo_shapes(ctx)  # idempotent: core.grids' own demo_data, later, finds them made
    place_demo_orders()


@hookimpl
def workorder_created(workorder):
    from core.workorders.notifications import route

    route(workorder)


@hookimpl
def workorder_transitioned(workorder, event):
    from core.workorders.notifications import route

    route(workorder, event)


@hookimpl
def startup(app):
    from core.workorders import clocks, nearby
    from core.workorders.case_maps import case_layers, pick_layers
    from core.workorders.grid_page import responsible_people

    app.jinja_env.globals.update(
        case_layers=case_layers, pick_layers=pick_layers, responsible_people=responsible_people
    )
    app.jinja_env.filters["distance_from"] = nearby.distance_label  # the phone's cards (issue 11)
    app.jinja_env.filters["time_left"] = nearby.time_left
    app.jinja_env.filters["stage_light"] = clocks.light


@hookimpl
def map_measures():
    from core.workorders.case_maps import measures

    return measures()


@hookimpl
def map_layers(user, area):
    from core.workorders.case_maps import grid_layers

    return grid_layers(user, area)


@hookimpl
def grid_sections(grid, user):
    from core.workorders.grid_page import sections

    return sections(grid, user)


@hookimpl
def menu_items(user):
    items = []
    if user.can("workorder.view_all") or user.can("workorder.view_department") or user.can("workorder.view_grid"):
        items.append(MenuItem(_l("Cases"), "workorders.inbox", order=10))
    if user.can("workorder.report"):
        items.append(MenuItem(_l("Report a problem"), "workorders.new", order=11))
    if user.can("workorder.intake"):
        items.append(MenuItem(_l("Hotline intake"), "workorders.intake", order=12))
    return items


@hookimpl
def dashboard_widgets(user):
    if not (user.can("workorder.view_all") or user.can("workorder.view_department") or user.can("workorder.view_grid")):
        return []
    from core.notifications.service import unread
    from core.workorders.queries import my_queue_counts

    context = {"counts": my_queue_counts(user), "unread": unread(user)}
    return [Widget(_l("My work"), "workorders/_widget_queue.html", context, order=1)]


@hookimpl
def register_audit_actions():
    from core.workorders.audit_actions import ACTIONS

    return ACTIONS
