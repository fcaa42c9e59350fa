"""The case lists' queries: the inboxes per role, the list's filters and its order (most urgent first,
suspended cases last, or by warning light), and one page of rows with the names they show. The list page
(core.workorders.views.lists) and its Excel export (core.workorders.export) read the same rows through them."""

from flask import request
from flask_babel import gettext as _
from peewee import JOIN, SQL, NodeList

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.db import is_sqlite
from core.org import Department
from core.workorders import hotline, nearby, scope, states
from core.workorders.models import SOURCES, WorkOrder
from core.workorders.states import STATUSES

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # 50 million cases: further pages are empty, and the offset stays a database integer


# inbox → (label, statuses or a request box's name, the permission that makes it someone's inbox); built per
# request so that the labels come out in the user's language.
def boxes():
    return {
        "to_verify": (_("Awaiting verification"), {"to_verify"}, "workorder.verify"),
        "to_file": (_("To file"), {"reported"}, "workorder.file"),
        "to_dispatch": (_("To dispatch"), {"filed", "returned"}, "workorder.dispatch"),
        "approvals": (_("Awaiting approval"), "approvals", "workorder.approve"),
        "head_requests": (_("Requests for my decision"), "head_requests", "workorder.assign"),
        "assigned": (_("Assigned to me"), {"dispatched", "handling", "suspended"}, "workorder.handle"),
        "department": (_("At my department"), {"dispatched", "handling", "suspended"}, "workorder.handle"),
        "to_check": (_("To check on site"), {"handled"}, "workorder.check"),
        "to_close": (_("To close"), {"checked"}, "workorder.close"),
        "open": (_("All open"), states.OPEN, None),
        "all": (_("All"), None, None),
    }


ON_SITE_BOXES = ("to_verify", "to_check")  # the boxes of the actions with scope "grid"


def my_boxes(user, all_boxes=None) -> list[str]:
    return [
        name
        for name, (_label, _which, permission) in (all_boxes or boxes()).items()
        if permission is None or user.can(permission)
    ]


def _box_statuses(which) -> set[str]:
    """The statuses a box can hold."""
    if which in ("approvals", "head_requests"):
        return set(states.AT_DEPARTMENT)
    return set(STATUSES) if which is None else set(which)


def _status_clause(statuses: set[str]):
    """WHERE status is one of these, or None when that is every status."""
    if statuses >= set(STATUSES):
        return None
    if len(statuses) == 1:
        return WorkOrder.status == next(iter(statuses))
    return WorkOrder.status.in_(sorted(statuses))


def _with_status(query, statuses: set[str]):
    clause = _status_clause(statuses)
    return query if clause is None else query.where(clause)


def _box_query(name, user, which):
    """A box's cases, apart from the status (see _box_statuses)."""
    if (
        name == "department"
        and user.department_id
        and (user.can("workorder.view_all") or user.can("workorder.view_department"))
    ):
        # visible() would add (reporter = me OR department = mine): implied by department = mine, and the
        # OR would make the database read every row of the department instead of its index.
        query = WorkOrder.select().where(WorkOrder.department == user.department_id)
    else:
        query = scope.visible(user)
        if name == "department" and user.department_id:
            query = query.where(WorkOrder.department == user.department_id)
    if name == "assigned":
        query = WorkOrder.select().where(WorkOrder.assignee == user.id)  # assigned: always theirs to see
    if which == "approvals":
        query = query.where(
            ((WorkOrder.extension_requested == True) | WorkOrder.suspension_requested_until.is_null(False))
            & (WorkOrder.head_request == "")  # still with the department's head
        )
    if which == "head_requests":
        # a handler's return, extension or suspension request waiting for their department's head
        query = WorkOrder.select().where(
            (WorkOrder.department == (user.department_id or 0)) & (WorkOrder.head_request != "")
        )
    if name in ON_SITE_BOXES and not user.can("workorder.view_all"):
        # on-site work is for the grid's own collectors: not the reporter of a case from elsewhere
        query = query.where(WorkOrder.grid.in_(sorted(scope.grid_ids(user)) or [0]))
    return query


def my_queue_counts(user) -> list[tuple[str, str, int]]:
    all_boxes = boxes()
    return [
        (name, label, _with_status(_box_query(name, user, which), _box_statuses(which)).count())
        for name in my_boxes(user, all_boxes)
        if name not in ("open", "all")
        for label, which, _permission in [all_boxes[name]]
    ]


def _filtered(query, statuses: set[str], args=None, phones=False):
    """The list's filters (from `args`, by default the request's): the query without its status clause,
    and the statuses it may show. With `phones` (for those who may see callers), the search also finds
    a caller's phone number, the first caller's or a merged one's."""
    args = request.args if args is None else args
    if args.get("status") in STATUSES:
        statuses = statuses & {args["status"]}
    if args.get("source") in SOURCES:
        query = query.where(WorkOrder.source == args["source"])
    grid = args.get("grid", "").strip()
    if grid:
        query = query.where(
            WorkOrder.grid.in_(Area.select(Area.id).where(Area.code.startswith(grid) | Area.name.contains(grid)))
        )
    category = args.get("category", "").strip()
    if category:
        query = query.where(
            WorkOrder.category.in_(
                Category.select(Category.id).where(
                    Category.code.startswith(category) | Category.name.contains(category)
                )
            )
        )
    q = args.get("q", "").strip()
    if q:
        found = (
            WorkOrder.number.contains(q)
            | WorkOrder.description.contains(q)
            | WorkOrder.address.contains(q)
            | (WorkOrder.tracking_code == q.upper())  # the number a caller was given, read back on the phone
        )
        phone = hotline.phone_typed(q) if phones else None
        if phone:
            found |= WorkOrder.caller_phone.contains(phone) | WorkOrder.id.in_(hotline.orders_of_phone(phone))
        query = query.where(found)
    return query, statuses


# The list's sortable columns (its header, templates/workorders/_rows.html): `sort=<column>` ascending,
# `sort=-<column>` descending, always with the id as the last key, so that pages never overlap. The
# expressions of the joined names need their table in the ids' query (_joined).
COLUMNS = {
    "number": (WorkOrder.number,),
    "category": (Category.code, Category.name),
    "description": (WorkOrder.description,),
    "address": (WorkOrder.address,),
    "source": (WorkOrder.source,),
    "grid": (Area.code,),
    "department": (Department.name,),
    "status": (),  # workflow order: one part per status (column_parts)
    "time_left": (WorkOrder.stage_due_at,),  # the stage deadline: the least time left first
    "elapsed": (WorkOrder.reported_at,),  # since the report: the newest (least elapsed) first
}
# Read from an index whatever the list's size: (status, stage_due_at), (status, number), (status, reported_at).
# The others make the database sort every case of the list, so they are offered only for lists of at
# most ORDER_LIST_SORT_LIMIT cases (sort_refused).
INDEXED = {"number", "status", "time_left", "elapsed"}
DESCENDING_FIRST = {"elapsed"}  # "elapsed" ascending is reported_at descending
NULLABLE = {"category", "grid", "department", "time_left"}
STATUS_INDEXED = {"number", "elapsed"}  # the (status, number) and (status, reported_at) indexes


def parse_sort(sort) -> tuple[str | None, bool]:
    """("category", False) for "category", ("category", True) for "-category"; (None, False) for the
    named orders ("due", "light", "newest"...) and anything unknown, which are not column sorts."""
    if not isinstance(sort, str):
        return None, False
    column = sort.removeprefix("-")
    return (column, sort.startswith("-")) if column in COLUMNS else (None, False)


def sort_refused(query, statuses: set[str], sort, limit: int, box: str = "") -> str | None:
    """The column of `sort` when sorting by it is not offered for this list: an unindexed column and a
    list of more than `limit` cases (counted no further). The department box is read through its
    (department, status, stage_due_at) index: only the stage clock's sorts are indexed there."""
    column, _descending = parse_sort(sort)
    indexed = INDEXED - {"number", "elapsed"} if box == "department" else INDEXED
    if column is None or column in indexed:
        return None
    counted = _with_status(query, statuses).select(WorkOrder.id).order_by().limit(limit + 1).count()
    return column if counted > limit else None


def _joined(query, column: str):
    """The ids' query with the table the column's names are in."""
    if column == "category":
        return query.join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
    if column == "grid":
        return query.join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
    if column == "department":
        return query.join_from(WorkOrder, Department, JOIN.LEFT_OUTER, on=(WorkOrder.department == Department.id))
    return query


def column_parts(query, statuses: set[str], column: str, descending: bool):
    """The list sorted by one column of COLUMNS, as parts (see ordered_parts). Cases without a value
    (no category, no grid, no clock) come last either way."""
    if column == "status":
        order = [status for status in STATUSES if status in statuses]
        urgent = (WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id)
        return [(query.where(WorkOrder.status == status), urgent) for status in order[:: -1 if descending else 1]]
    reverse = descending != (column in DESCENDING_FIRST)
    nulls = "LAST" if column in NULLABLE else None  # NULLS LAST on a column without any keeps it off its index
    columns = COLUMNS[column]
    if column in STATUS_INDEXED and _status_clause(statuses) is not None and is_sqlite():
        # With the LIMIT a parameter, SQLite walks the column's own index in order, reading the table
        # for each row's status: most of a million rows when the box's cases come late in that order
        # (1.9 s). A unary + keeps it off that index, so it reads (status, column) and sorts the box.
        columns = [NodeList((SQL("+"), key), glue="") for key in columns]
    keys = [key.desc(nulls=nulls) if reverse else key.asc(nulls=nulls) for key in columns]
    return [(_joined(_with_status(query, statuses), column), (*keys, WorkOrder.id.desc() if reverse else WorkOrder.id))]


def ordered_parts(query, statuses: set[str], sort: str | None, near=None):
    """The list as consecutive parts, each (query, ordering). Most urgent first, except that a suspended
    case's clock stands still, so suspended cases come last: rather than sorting on a CASE expression,
    which makes the database sort every row, the suspended cases are a second part and each part is read
    in the order of an index on (status, stage_due_at). A column sort (COLUMNS) is column_parts'. "near"
    with a position (lat, lon): nearest first, cases without coordinates last (the phone's cards)."""
    if sort == "near" and near is not None:
        return [(_with_status(query, statuses), nearby.nearest_first(*near))]
    column, descending = parse_sort(sort)
    if column is not None:
        return column_parts(query, statuses, column, descending)
    if sort == "newest":
        return [(_with_status(query, statuses), (WorkOrder.reported_at.desc(), WorkOrder.id.desc()))]
    urgent = (WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id)
    suspended = []
    if "suspended" in statuses and len(statuses) > 1:
        suspended = [(query.where(WorkOrder.status == "suspended"), urgent)]
        running = statuses - {"suspended"}
        if running == set(STATUSES) - {"suspended"}:
            query, statuses = query.where(WorkOrder.status != "suspended"), set(STATUSES)
        else:
            statuses = running
    running = _with_status(query, statuses)
    if sort != "light":
        return [(running, urgent), *suspended]
    # By warning light: red, then yellow, then green (and cases without a clock), each most urgent first.
    now = clock.now()
    red = WorkOrder.stage_due_at < now
    yellow = (WorkOrder.stage_due_at >= now) & (WorkOrder.stage_warn_at <= now)
    green = WorkOrder.stage_due_at.is_null() | (
        (WorkOrder.stage_due_at >= now) & (WorkOrder.stage_warn_at.is_null() | (WorkOrder.stage_warn_at > now))
    )
    return [(running.where(red), urgent), (running.where(yellow), urgent), (running.where(green), urgent), *suspended]


Suggested = Department.alias("suggested")


def rows_with_names(fields, ids):
    """The cases `ids` as named tuples of `fields`, which may name their category, grid, department and
    suggested department (the list page and the export read the same joins)."""
    return (
        WorkOrder.select(*fields)
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Department, JOIN.LEFT_OUTER, on=(WorkOrder.department == Department.id))
        .join_from(WorkOrder, Suggested, JOIN.LEFT_OUTER, on=(WorkOrder.suggested_department == Suggested.id))
        .where(WorkOrder.id.in_(ids))
        .namedtuples()
    )


# What a row of the list shows (templates/workorders/_rows.html and clocks.light()): plain named
# tuples, the names flattened (category_name...: None when the case has none).
ROW_FIELDS = (
    WorkOrder.id,
    WorkOrder.number,
    WorkOrder.version,
    WorkOrder.status,
    WorkOrder.reported_at,
    WorkOrder.stage_started_at,
    WorkOrder.stage_due_at,
    WorkOrder.stage_unit,
    WorkOrder.suspended_until,
    WorkOrder.source,
    WorkOrder.address,
    WorkOrder.description,
    WorkOrder.latitude,
    WorkOrder.longitude,
    Category.name.alias("category_name"),
    Area.name.alias("grid_name"),
    Department.name.alias("department_name"),
    Suggested.name.alias("suggested_name"),
)


def one_page(parts, page_no, limit) -> tuple[int, bool, list]:
    """The number of cases, whether it is only a lower bound, and one page of them.

    The count stops once it knows more than `limit` cases (or than the cases up to this page, when one
    pages further): counting the 40,000 cases of an inbox cost more than everything else the page does;
    past that the list says "more than 10,000 cases". The page's ids are chosen first, with WHERE,
    ORDER BY and LIMIT alone (an index answers that without reading the table); then only those rows are
    read and joined to the names they show."""
    offset, ids, total = (page_no - 1) * PAGE_SIZE, [], 0
    enough = max(limit, offset + PAGE_SIZE) + 1  # places this page in its part(s), and says if a next exists
    for query, ordering in parts:
        if total >= enough:
            break
        count = query.select(WorkOrder.id).order_by().limit(enough - total).count()
        if len(ids) < PAGE_SIZE and offset - total < count:
            chosen = query.select(WorkOrder.id).order_by(*ordering)
            chosen = chosen.limit(PAGE_SIZE - len(ids)).offset(max(offset - total, 0))
            ids += [order_id for (order_id,) in chosen.tuples()]
        total += count
    more = total >= enough
    total = enough - 1 if more else total
    if not ids:
        return total, more, []
    rows = rows_with_names(ROW_FIELDS, ids)
    position = {order_id: i for i, order_id in enumerate(ids)}
    return total, more, sorted(rows, key=lambda order: position[order.id])


def _first_box(user, mine, all_boxes) -> str:
    if mine[0] == "assigned" and len(mine) > 1:
        which = all_boxes["assigned"][1]
        if not _with_status(_box_query("assigned", user, which), _box_statuses(which)).exists():
            return mine[1]
    return mine[0]


def list_query(user, args, all_boxes=None):
    """What /orders/ lists for these arguments: the box (the one asked for, or the user's first: "assigned
    to me" only when something is), the user's boxes, the filtered query without its status clause, and
    the statuses it may show."""
    all_boxes = all_boxes or boxes()
    mine = my_boxes(user, all_boxes)
    box = args.get("box") if args.get("box") in mine else _first_box(user, mine, all_boxes)
    which = all_boxes[box][1]
    phones = user.can("workorder.view_all")  # who sees callers on the case page
    query, statuses = _filtered(_box_query(box, user, which), _box_statuses(which), args, phones=phones)
    return box, mine, query, statuses


def about_component(component, user, limit: int = 200) -> list | None:
    """The newest cases about this component that `user` may see; None for a user without a case
    permission (the component's page then shows no such section)."""
    if not any(user.can(p) for p in ("workorder.view_all", "workorder.view_department", "workorder.view_grid")):
        return None
    query = scope.visible(user, WorkOrder.select().where(WorkOrder.component == component.id))
    return list(query.order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc()).limit(limit))
