"""The case list to Excel: exactly the rows, in exactly the order, that /orders/ shows for the same box,
filters and sort (the list's own queries, core/workorders/queries.py, build it), written in the background by
core/exports/. Callers' names and phones are personal data: only for users who see every case."""

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core import audit, clock, xlsx
from core.areas import Area
from core.catalogue.models import KINDS, Category
from core.db import db
from core.exports.jobs import start as start_export
from core.exports.kinds import Kind, by_ids, in_pages
from core.exports.views import progress
from core.org import Department
from core.web import message
from core.workorders import clocks, states
from core.workorders.models import SOURCES, WorkOrder
from core.workorders.queries import Suggested, boxes, list_query, ordered_parts, rows_with_names, sort_refused

KIND = "orders"
MAX_ROWS = 200_000
PARAMS = ("box", "q", "grid", "category", "status", "source", "sort")  # what the list's filter form sends

FIELDS = (
    WorkOrder.id,
    WorkOrder.number,
    WorkOrder.status,
    WorkOrder.stage_started_at,
    WorkOrder.stage_due_at,
    WorkOrder.stage_unit,
    Category.kind.alias("category_kind"),
    Category.code.alias("category_code"),
    Category.name.alias("category_name"),
    Area.code.alias("grid_code"),
    Area.name.alias("grid_name"),
    Department.name.alias("department_name"),
    Suggested.name.alias("suggested_name"),
    WorkOrder.source,
    WorkOrder.reported_at,
    WorkOrder.filed_at,
    WorkOrder.dispatched_at,
    WorkOrder.handled_at,
    WorkOrder.closed_at,
    WorkOrder.due_at,
    WorkOrder.extensions,
    WorkOrder.returns,
    WorkOrder.reworks,
    WorkOrder.address,
    WorkOrder.description,
    WorkOrder.caller_name,
    WorkOrder.caller_phone,
)


def _parts(user, params: dict):
    """The list's parts in the page's order; a sort the page refuses (sort_refused) is refused here too, so
    the file has the rows in the order the page showed."""
    box, _mine, query, statuses = list_query(user, params)
    sort = params.get("sort")
    if sort_refused(query, statuses, sort, current_app.config["ORDER_LIST_SORT_LIMIT"], box):
        sort = None
    return box, ordered_parts(query, statuses, sort)


def _count(parts, limit: int) -> int:
    """The rows of the list, counting no further than limit + 1."""
    total = 0
    for query, _ordering in parts:
        total += query.select(WorkOrder.id).order_by().limit(limit + 1 - total).count()
        if total > limit:
            break
    return total


def overdue(order, now) -> bool:
    """Past its handling deadline: still at the department after it, or reported handled after it."""
    if order.due_at is None:
        return False
    if order.status in states.AT_DEPARTMENT:
        return now > order.due_at
    return order.handled_at is not None and order.handled_at > order.due_at


def sheets(user, params: dict) -> list[xlsx.Sheet]:
    box, parts = _parts(user, params)
    callers = user.can("workorder.view_all")
    statuses = {key: str(label) for key, label in states.STATUSES.items()}
    sources = {key: str(label) for key, label in SOURCES.items()}
    lights = {"": "", "green": _("on time"), "yellow": _("due soon"), "red": _("overdue")}
    yes, no = _("Yes"), _("No")
    kinds = {key: str(label) for key, label in KINDS.items()}
    columns = [
        (_("Number"), 14),
        (_("Status"), 16),
        (_("Light"), 10),
        (_("Category kind"), 8),
        (_("Category code"), 10),
        (_("Category"), 20),
        (_("Grid code"), 18),
        (_("Grid"), 20),
        (_("Department"), 16),
        (_("Suggested department"), 16),
        (_("Source"), 16),
        (_("Reported"), 17),
        (_("Filed"), 17),
        (_("Dispatched"), 17),
        (_("Handled"), 17),
        (_("Closed"), 17),
        (_("Handling deadline"), 17),
        (_("Overdue"), 8),
        (_("Extensions"), 8),
        (_("Returns"), 8),
        (_("Reworks"), 8),
        (_("Address"), 30),
        (_("Description"), 50),
    ]
    if callers:
        columns += [(_("Caller"), 12), (_("Caller's phone"), 14)]
    now = clock.now()

    def row(o) -> list:
        line = [
            o.number,
            statuses.get(o.status, o.status),
            lights[clocks.light(o, now)],
            kinds.get(o.category_kind, ""),
            o.category_code,
            o.category_name,
            o.grid_code,
            o.grid_name,
            o.department_name,
            o.suggested_name,
            sources.get(o.source, o.source),
            o.reported_at,
            o.filed_at,
            o.dispatched_at,
            o.handled_at,
            o.closed_at,
            o.due_at,
            yes if overdue(o, now) else no,
            o.extensions,
            o.returns,
            o.reworks,
            o.address,
            o.description,
        ]
        if callers:
            line += [o.caller_name, o.caller_phone]
        return line

    def ids():
        for query, ordering in parts:
            yield from db.execute(query.select(WorkOrder.id).order_by(*ordering)).fetchall()

    read = by_ids(lambda ids: rows_with_names(FIELDS, ids))

    def fetch(page_ids: list) -> dict:
        return {o.id: row(o) for o in read(page_ids)}

    sheet = xlsx.Sheet(
        title=str(boxes()[box][0]),
        headers=[header for header, _width in columns],
        widths=[width for _header, width in columns],
        rows=in_pages(ids(), fetch),
        total=_count(parts, MAX_ROWS),
    )
    return [sheet]


EXPORT = Kind(KIND, sheets, inline_rows=0)  # a case list is always written in the background


def start(form):
    """The export button of /orders/: refuse a list too long, else start the export (or show the one the
    user already has going) and answer its progress."""
    user = current_user._get_current_object()
    params = {key: str(form.get(key, ""))[:100] for key in PARAMS if form.get(key)}
    box, parts = _parts(user, params)
    params["box"] = box
    total = _count(parts, MAX_ROWS)
    if total > MAX_ROWS:
        return message(
            _(
                "This list has more than %(n)s cases: too many for one file. Narrow it with the filters "
                "(status, grid, category, source) and export again.",
                n=f"{MAX_ROWS:,}",
            ),
            422,
        )
    label = str(boxes()[box][0]).replace("/", "-").replace("\\", "-")
    filename = f"{_('Cases')}-{label}-{clock.now():%Y%m%d-%H%M}.xlsx"
    job, started = start_export(KIND, params, user, str(get_locale()), filename, total)
    if started:
        audit.record(
            "workorders.export",
            "export",
            job.id,
            summary=f"{total} cases",
            after={**params, "rows": total, "callers": user.can("workorder.view_all")},
        )
    return progress(job)
