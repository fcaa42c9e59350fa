"""Pages of the closed loop: inboxes per role, the case page with its actions, the collector's report
form, hotline intake, and photos served only to those who may see the case."""

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

from core import category_picker, clock, exports, grids, photos
from core.areas import Area
from core.catalogue import Category, FilingStandard, standards_for
from core.org import Department, User, department_tree
from core.parsing import parse_id, parse_int
from core.permissions import login_required, requires, scoped
from core.plugins import host
from core.web import message, page
from core.workorders import actors, cases, hotline, nearby, submissions, workflow
from core.workorders.models import SOURCES, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from core.workorders.workflow import ACTIONS, STATUSES, WorkflowError

bp = Blueprint("workorders", __name__, url_prefix="/orders")
PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # 50 million cases: further pages are empty, and the offset stays a database integer
MAX_PHOTOS = 6


_row_id = parse_id  # a row id from a form or query value, or None when it cannot be one


# inbox → (label, statuses or "approvals", the permission that makes it someone's inbox); built per
# request so that the labels come out in the user's language.
def boxes():
    return {
        "to_verify": (_("Awaiting verification"), {"to_verify"}, "workorder.verify"),
        "to_file": (_("To file"), {"reported"}, "workorder.file"),
        "to_dispatch": (_("To dispatch"), {"filed", "returned"}, "workorder.dispatch"),
        "approvals": (_("Awaiting approval"), "approvals", "workorder.approve"),
        "department": (_("At my department"), {"dispatched", "handling", "suspended"}, "workorder.handle"),
        "to_check": (_("To check on site"), {"handled"}, "workorder.check"),
        "to_close": (_("To close"), {"checked"}, "workorder.close"),
        "open": (_("All open"), workflow.OPEN, None),
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
    if which == "approvals":
        return set(workflow.AT_DEPARTMENT)
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
        query = workflow.visible(user)
        if name == "department" and user.department_id:
            query = query.where(WorkOrder.department == user.department_id)
    if which == "approvals":
        query = query.where(
            (WorkOrder.extension_requested == True) | WorkOrder.suspension_requested_until.is_null(False)
        )
    if name in ON_SITE_BOXES and not user.can("workorder.view_all"):
        # on-site work is for the grid's own collectors: not the reporter of a case from elsewhere
        query = query.where(WorkOrder.grid.in_(sorted(workflow.grid_ids(user)) or [0]))
    return query


def my_queue_counts(user) -> list[tuple[str, str, int]]:
    all_boxes = boxes()
    return [
        (name, label, _with_status(_box_query(name, user, which), _box_statuses(which)).count())
        for name in my_boxes(user, all_boxes)
        if name not in ("open", "all")
        for label, which, _permission in [all_boxes[name]]
    ]


def _can_view_cases():
    return any(current_user.can(p) for p in ("workorder.view_all", "workorder.view_department", "workorder.view_grid"))


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


def _ordered_parts(query, statuses: set[str], sort: str | None, near=None):
    """The list as consecutive parts, each (query, ordering). Most urgent first, except that a suspended
    case's clock stands still, so suspended cases come last: rather than sorting on a CASE expression,
    which makes the database sort every row, the suspended cases are a second part and each part is read
    in the order of an index on (status, stage_due_at). "near" with a position (lat, lon): nearest first,
    cases without coordinates last (the phone's cards)."""
    if sort == "near" and near is not None:
        return [(_with_status(query, statuses), nearby.nearest_first(*near))]
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


# What a row of the list shows (templates/workorders/_rows.html and workflow.light()): plain named
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
    WorkOrder.address,
    WorkOrder.latitude,
    WorkOrder.longitude,
    Category.name.alias("category_name"),
    Area.name.alias("grid_name"),
    Department.name.alias("department_name"),
    Suggested.name.alias("suggested_name"),
)


def _page(parts, page_no, limit) -> tuple[int, bool, list]:
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


def list_query(user, args, all_boxes=None):
    """What /orders/ lists for these arguments: the box (the one asked for, or the user's first), the
    user's boxes, the filtered query without its status clause, and the statuses it may show."""
    all_boxes = all_boxes or boxes()
    mine = my_boxes(user, all_boxes)
    box = args.get("box") if args.get("box") in mine else mine[0]
    which = all_boxes[box][1]
    phones = user.can("workorder.view_all")  # who sees callers on the case page
    query, statuses = _filtered(_box_query(box, user, which), _box_statuses(which), args, phones=phones)
    return box, mine, query, statuses


@bp.route("/")
@login_required
def inbox():
    if not _can_view_cases():
        abort(403)
    all_boxes = boxes()
    box, mine, query, statuses = list_query(current_user, request.args, all_boxes)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), MAX_PAGE)
    limit = current_app.config["ORDER_LIST_COUNT_LIMIT"]
    near = nearby.parse_near(request.args.get("near"))
    parts = _ordered_parts(query, statuses, request.args.get("sort"), near)
    total, more, rows = _page(parts, page_no, limit)
    now = clock.now()
    return page(
        "workorders/inbox.html",
        "workorders/_rows.html",
        "order-rows",
        box=box,
        boxes=[(name, all_boxes[name][0]) for name in mine],
        rows=[(order, workflow.light(order, now)) for order in rows],
        total=total,
        more=more,  # total is a lower bound: there are more than `total` cases
        page_no=page_no,
        # with `more`, the pages beyond these exist but were not counted
        pages=max(total // PAGE_SIZE if more else (total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        # translated once here rather than once per row
        statuses={key: str(label) for key, label in STATUSES.items()},
        light_labels={"green": _("on time"), "yellow": _("due soon"), "red": _("overdue")},
        suggested_label=_("suggested department"),
        dispatchable=workflow.BEFORE_DISPATCH,
        sources=SOURCES,
        departments=_dispatch_departments() if box == "to_dispatch" and current_user.can("workorder.dispatch") else [],
        export_job=exports.going_for(current_user),
        now=now,
        near=near if request.args.get("sort") == "near" else None,
    )


@bp.route("/export", methods=["POST"])
@login_required
def export():
    """Export the list as filtered (the filter form's values come with the request) to Excel."""
    if not _can_view_cases():
        abort(403)
    from core.workorders import export as case_export

    return case_export.start(request.form)


def _dispatch_departments():
    return [(depth, d) for depth, d in department_tree() if d.type in workflow.HANDLING_TYPES]


@bp.route("/bulk-dispatch", methods=["POST"])
@requires("workorder.dispatch")
def bulk_dispatch():
    """Dispatch the ticked cases to the department chosen, or ("to" = "suggested") each to its own
    suggested department."""
    ticked = [order_id for order_id in map(_row_id, request.form.getlist("order")) if order_id]
    as_suggested = request.form.get("to") == "suggested"
    department_of = {order_id: _row_id(request.form.get("department")) for order_id in ticked}
    if as_suggested and ticked:
        rows = WorkOrder.select(WorkOrder.id, WorkOrder.suggested_department, WorkOrder.department)
        department_of = {
            # a returned case is not sent back to the department that returned it
            order_id: suggestion if suggestion != current else None
            for order_id, suggestion, current in rows.where(WorkOrder.id.in_(ticked)).tuples()
        }
    done, refused = 0, []
    for order_id in ticked:
        version = request.form.get(f"v{order_id}", type=parse_int)
        department = department_of.get(order_id)
        try:
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


# --- one case --------------------------------------------------------------------------------------


def _load_order(order_id) -> WorkOrder | None:
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


def _visible_order(order_id) -> WorkOrder:
    order = _load_order(order_id) if _can_view_cases() else None
    if order is None or not workflow.can_see(current_user, order):
        abort(404)  # someone else's case: as if it did not exist
    return order


def _case_context(order):
    events = list(
        WorkOrderEvent.select(WorkOrderEvent, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(WorkOrderEvent.order == order)
        .order_by(WorkOrderEvent.id)
    )
    links = list(WorkOrderPhoto.select().where(WorkOrderPhoto.order == order).order_by(WorkOrderPhoto.id))
    photos_by_stage = {
        stage: [link for link in links if link.stage == stage] for stage in ("report", "handling", "verification")
    }
    actions = [name for name in workflow.allowed_actions(order, current_user) if name not in workflow.NOT_OFFERED]
    return {
        "order": order,
        "events": events,
        "photos": photos_by_stage,
        "actions": [(name, ACTIONS[name]) for name in actions],
        "light": workflow.light(order),
        "overdue": workflow.overdue(order),
        "statuses": STATUSES,
        "stages": workflow.STAGES,
        "dispatchable": workflow.BEFORE_DISPATCH,
        "sources": SOURCES,
        "action_labels": {name: a.label for name, a in ACTIONS.items()},
        "outcomes": cases.OUTCOMES,
        "system_actors": actors.labels(),
        # what only the filing and dispatch forms list
        "standards": standards_for(order.category) if "file" in actions and order.category_id else [],
        "file_categories": _categories() if "file" in actions else [],
        "departments": _dispatch_departments() if "dispatch" in actions else [],
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
    order = _visible_order(order_id)
    return page("workorders/show.html", **_case_context(order))


@bp.route("/<int:order_id>/standards")
@requires("workorder.file")
@scoped("order_id", kind="workorder")
def standards(order_id):
    """The filing-standard rows of another category, for filing a case under it (the case page's file form)."""
    _visible_order(order_id)
    errors = []
    category = _category(request.args, errors)
    found = standards_for(category) if category else []
    for standard in found:
        standard.category = category
    error = errors[0] if errors else ""
    return page("workorders/_standard_choices.html", standards=found, other=True, error=error)


@bp.route("/<int:order_id>/act", methods=["POST"])
@login_required
@scoped("order_id", kind="workorder")
def act(order_id):
    order = _visible_order(order_id)
    action = request.form.get("action", "")
    data = {key: request.form.get(key) for key in ("standard", "department", "until") if request.form.get(key)}
    for key in ("standard", "department"):
        if key in data:
            data[key] = _row_id(data[key])
    try:
        attached = _claimed_photos(request.form.getlist("photo_ids")) + _store_uploads()
        if len(attached) > MAX_PHOTOS:
            raise WorkflowError(_("Add at most %(n)d photos.", n=MAX_PHOTOS))
        workflow.transition(
            order.id,
            action,
            actor=current_user._get_current_object(),
            version=request.form.get("version", type=parse_int),
            reason=request.form.get("reason", ""),
            data=data,
            photos=attached,
        )
    except (WorkflowError, photos.PhotoError) as error:
        text = error.message if isinstance(error, WorkflowError) else str(error)
        status = getattr(error, "status", 422)
        fresh = _load_order(order.id)
        context = _case_context(fresh)
        return page("workorders/show.html", status=status, error=text, failed_action=action, **context)
    flash(_("%(action)s: done.", action=ACTIONS[action].label), "success")
    return redirect(url_for("workorders.show", order_id=order.id))


@bp.route("/<int:order_id>/photos/<int:photo_id>/<variant>")
@login_required
@scoped("order_id", kind="workorder")
def photo(order_id, photo_id, variant):
    order = _visible_order(order_id)
    link = WorkOrderPhoto.get_or_none((WorkOrderPhoto.order == order) & (WorkOrderPhoto.photo == photo_id))
    if link is None or variant not in ("thumb", "display", "original"):
        abort(404)
    return photos.send(link.photo, variant)


# --- new cases ---------------------------------------------------------------------------------------


def _claimed_photos(ids) -> list:
    """Photos uploaded earlier in this session (one by one, so a failed upload loses nothing)."""
    mine = set(session.get("uploads", []))
    chosen = [number for number in map(_row_id, ids) if number in mine]
    return list(photos.Photo.select().where(photos.Photo.id.in_(chosen))) if chosen else []


def _store_uploads() -> list:
    """Photos sent with the form itself (the path without JavaScript)."""
    stored = []
    for upload in request.files.getlist("photos"):
        if upload and upload.filename:
            stored.append(photos.store(upload.stream, upload.filename, current_user._get_current_object()))
    return stored


@bp.route("/photos", methods=["POST"])
@login_required
def upload_photo():
    if not any(
        current_user.can(p) for p in ("workorder.report", "workorder.intake", "workorder.handle", "workorder.check")
    ):
        abort(403)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return message(_("Choose a photo first."), 422)
    try:
        stored = photos.store(upload.stream, upload.filename, current_user._get_current_object())
    except photos.PhotoError as error:
        return page("workorders/_upload_failed.html", status=422, name=upload.filename, error=str(error))
    session["uploads"] = (session.get("uploads", []) + [stored.id])[-50:]
    return page("workorders/_upload.html", photo=stored, name=upload.filename)


@bp.route("/uploads/<int:photo_id>/thumb")
@login_required
@scoped("photo_id", kind="upload")
def upload_thumb(photo_id):
    if photo_id not in session.get("uploads", []):
        abort(404)
    return photos.send(photos.Photo.get_by_id(photo_id), "thumb")


def _location_fields(form) -> tuple[dict, list[str]]:
    errors, fields = [], {}
    grid_code = form.get("grid", "").strip().split(" ")[0]
    if grid_code:
        grid = Area.get_or_none((Area.code == grid_code) & (Area.level == "grid"))
        if grid is None:
            errors.append(_("There is no unit grid %(code)s.", code=grid_code))
        fields["grid"] = grid
    for key, bound in (("latitude", 90), ("longitude", 180)):
        raw = form.get(key, "").strip()
        if raw:
            try:
                value = Decimal(raw).quantize(Decimal("0.000001"))
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():  # NaN passes quantize()
                errors.append(_("The location is not a number."))
            elif abs(value) > bound:
                errors.append(_("The location is off the map: latitude is -90 to 90, longitude -180 to 180."))
            else:
                fields[key] = value
    if not fields.get("grid") and fields.get("latitude") is not None and fields.get("longitude") is not None:
        fields["grid"] = grids.locate(float(fields["longitude"]), float(fields["latitude"]))  # GPS → unit grid
    fields["address"] = form.get("address", "").strip()[:200]
    return fields, errors


def _category(form, errors) -> Category | None:
    found, error = category_picker.chosen(form, current_app.config["CATALOGUE_EDITION"])
    if error:
        errors.append(error)
    return found


def _categories() -> list[Category]:
    """The categories a case may have: the configured edition's, in use."""
    return category_picker.choices(current_app.config["CATALOGUE_EDITION"])


def _new_form_context(form):
    # A form refused with errors comes back with the key it was posted with: it made no case yet.
    key = submissions.key_of(form) if request.method == "POST" else None
    grids = Area.select().where(Area.level == "grid").order_by(Area.code)
    if not current_user.can("workorder.view_all") and current_user.can("workorder.view_grid"):
        mine = workflow.grid_ids(current_user)
        grids = grids.where(Area.id.in_(list(mine))) if mine else grids
    return {
        "form": form,
        "categories": _categories(),
        "grids": list(grids),
        "sources": SOURCES,
        "max_photos": MAX_PHOTOS,
        "component": _component(form, []),
        "submission_key": key or submissions.new_key(),
    }


def _report_fields(form) -> tuple[dict, list[str]]:
    """What both report forms take: grid, location, address, category and description."""
    fields, errors = _location_fields(form)
    fields["category"] = _category(form, errors)
    fields["description"] = form.get("description", "").strip()
    return fields, errors


def _component(form, errors):
    """The census component a report is about (the form carries its id when started from its page)."""
    from core.components.models import Component

    raw = form.get("component", "").strip()
    if not raw:
        return None
    component_id = _row_id(raw)
    found = Component.get_or_none(Component.id == component_id) if component_id else None
    if found is None:
        errors.append(_("There is no such component."))
    return found


def _already_saved(order):
    if order is None:  # the key was used by someone else's post: not a form this user was shown
        return message(_("This form was already sent. Reload the page to report something new."), 409)
    flash(_("This report was already saved as case %(number)s.", number=order.number), "info")
    return redirect(url_for("workorders.show", order_id=order.id))


def _already_taken(order):
    """The hotline's repeat shows the page its first post showed: the caller still needs the tracking number."""
    if order is None:
        return _already_saved(None)
    flash(_("This report was already saved as case %(number)s.", number=order.number), "info")
    return page("workorders/intake_done.html", order=order)


@bp.route("/new", methods=["GET", "POST"])
@requires("workorder.report")
def new():
    # A GET may carry the fields to start with (category, grid, latitude, longitude, address, component):
    # "Report a problem" on a component's page links here with them.
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        key = submissions.key_of(form)
        first = submissions.first_case(key, current_user.id, clock.now())
        if first is not None:
            return _already_saved(first)
        fields, errors = _report_fields(form)
        fields["component"] = _component(form, errors)
        if fields["category"] is None and not errors:
            errors.append(_("Choose the category of the problem."))
        if not fields["description"]:
            errors.append(_("Describe the problem."))
        if not fields.get("grid"):
            errors.append(_("Choose the unit grid (or use your location)."))
        try:
            attached = _claimed_photos(form.getlist("photo_ids")) + _store_uploads()
        except photos.PhotoError as error:
            attached, errors = [], errors + [str(error)]
        if not errors and not 1 <= len(attached) <= MAX_PHOTOS:
            errors.append(_("Add between 1 and %(n)d photos.", n=MAX_PHOTOS))
        if not errors:
            try:
                order = workflow.create_order(
                    current_user._get_current_object(), "collector", photos=attached, submission_key=key, **fields
                )
            except submissions.Repeated:
                return _already_saved(submissions.first_case(key, current_user.id, clock.now()))
            flash(_("Case %(number)s reported.", number=order.number), "success")
            if order.outside_areas:
                flash(
                    _(
                        "%(grid)s is outside your patrol areas: the case is kept, and that grid's own "
                        "collector verifies it on site.",
                        grid=fields["grid"].name,
                    ),
                    "warning",
                )
            return redirect(url_for("workorders.show", order_id=order.id))
        return page(
            "workorders/new.html",
            status=422,
            errors=errors,
            kept=_claimed_photos(form.getlist("photo_ids")),
            **_new_form_context(form),
        )
    return page("workorders/new.html", errors=[], kept=[], **_new_form_context(form))
