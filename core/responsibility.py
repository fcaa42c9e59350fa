"""Responsibility per grid (网格化管理, "责任落实到人"): for each unit grid and department, the people
answerable for it, with a role text (责任人, 养护责任人 ...); and the collectors' responsibility areas,
which are `core.workorders.models.GridAssignment` rows (the same rows that scope what a collector sees).

- `Responsibility` rows are per unit grid: assigning a whole street or community writes a row for every
  current grid under it (a grid added there later needs its own assignment).
- A collector's area may be a unit grid or a whole community/street/district (GridAssignment's meaning:
  every grid under it, including later ones). Choosing a whole area stores that area; choosing grids on
  the map stores the grids. Unassigning an area removes it and everything under it; unassigning a grid
  covered only through a larger area is reported, not silently ignored.
- Assigning twice changes nothing (unique keys; a new role text replaces the old); two administrators
  assigning at once cannot create duplicates. Every change is audited (`responsibility.assign`,
  `responsibility.unassign`, `collector.assign`, `collector.unassign`), one entry per operation listing
  the grid codes.

Department suggestion for new cases stays the category's default department (core.workorders); the grid's
responsible people for that department are shown next to it on the case page. A per-grid override of the
department for a category is not implemented (see docs/operations.md)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import CharField, DateTimeField, ForeignKeyField, fn

from core import audit, clock
from core.areas import LEVELS, Area
from core.db import BaseModel, db
from core.hookspecs import hookimpl
from core.org import Department, RolePermission, User, UserRole, department_tree, descendants
from core.permissions import requires
from core.plugins import MenuItem
from core.web import page
from core.workorders.models import GridAssignment

DEFAULT_ROLE = "责任人"
COLLECTOR_PERMISSION = "workorder.view_grid"


class Responsibility(BaseModel):
    """One person answerable for one unit grid on behalf of one department."""

    area = ForeignKeyField(Area, backref="responsibilities", on_delete="CASCADE")
    department = ForeignKeyField(Department, on_delete="CASCADE")
    user = ForeignKeyField(User, backref="responsibilities", on_delete="CASCADE", index=True)
    role = CharField(max_length=40, default=DEFAULT_ROLE)
    since = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("area", "department", "user"), True),)


# --- reading -----------------------------------------------------------------------------------------


def responsible_for(grid) -> list[tuple[Department, list[Responsibility]]]:
    """(department, its people) for one unit grid, departments in tree order."""
    rows = list(
        Responsibility.select(Responsibility, User, Department)
        .join(User)
        .switch(Responsibility)
        .join(Department)
        .where(Responsibility.area == grid)
        .order_by(Department.sort, Department.name, User.name)
    )
    grouped: dict[int, tuple[Department, list]] = {}
    for row in rows:
        grouped.setdefault(row.department_id, (row.department, []))[1].append(row)
    return list(grouped.values())


def people_for(grid_id, department_id) -> list[Responsibility]:
    if not grid_id or not department_id:
        return []
    return list(
        Responsibility.select(Responsibility, User)
        .join(User)
        .where((Responsibility.area == grid_id) & (Responsibility.department == department_id))
        .order_by(User.name)
    )


def ancestors(area: Area) -> list[Area]:
    """The area and every area above it."""
    chain, current = [], area
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


def collectors_of(grid: Area) -> list[tuple[User, Area]]:
    """The collectors responsible for a grid, each with the area (the grid or one above it) that makes
    them so."""
    areas = {a.id: a for a in ancestors(grid)}
    rows = GridAssignment.select(GridAssignment, User).join(User).where(GridAssignment.area.in_(list(areas)))
    return [(row.user, areas[row.area_id]) for row in rows.order_by(User.name)]


def collectors() -> list[User]:
    """Active users whose roles let them see their grids' cases: those who can be given grids."""
    roles = RolePermission.select(RolePermission.role).where(RolePermission.permission == COLLECTOR_PERMISSION)
    return list(
        User.select()
        .join(UserRole)
        .where(UserRole.role.in_(roles) & (User.active == True))
        .distinct()
        .order_by(User.name)
    )


# --- writing -----------------------------------------------------------------------------------------


def grids_under(areas: list[Area]) -> list[Area]:
    """The current unit grids of the given areas (a grid stands for itself), in code order."""
    if not areas:
        return []
    condition = None
    for area in areas:
        clause = Area.code.startswith(area.code)
        condition = clause if condition is None else condition | clause
    today = clock.now().date()
    return list(
        Area.select()
        .where((Area.level == "grid") & condition & (Area.valid_to.is_null() | (Area.valid_to > today)))
        .order_by(Area.code)
    )


def assign(grids: list[Area], department: Department, user: User, role: str) -> int:
    """Make `user` responsible for `grids` for `department`. Returns how many grids changed (new or with a
    new role text); the rest already were so."""
    role = role.strip()[:40] or DEFAULT_ROLE
    changed = []
    with db.atomic():
        existing = {
            row.area_id: row
            for row in Responsibility.select().where(
                (Responsibility.department == department)
                & (Responsibility.user == user)
                & Responsibility.area.in_([g.id for g in grids] or [0])
            )
        }
        for grid in grids:
            row = existing.get(grid.id)
            if row is not None and row.role == role:
                continue
            (
                Responsibility.insert(area=grid, department=department, user=user, role=role, since=clock.now())
                .on_conflict(
                    conflict_target=[Responsibility.area, Responsibility.department, Responsibility.user],
                    update={Responsibility.role: role},
                )
                .execute()
            )
            changed.append(grid.code)
        if changed:
            audit.record(
                "responsibility.assign",
                "department",
                department.id,
                f"{department.name}: {user.name} ({role}) × {len(changed)}",
                after={"user": user.username, "role": role, "grids": changed},
            )
    return len(changed)


def unassign(grids: list[Area], department: Department, user: User | None) -> int:
    """Remove `user`'s (or, with None, everyone's) responsibility for `grids` for `department`."""
    with db.atomic():
        query = (
            Responsibility.select(Responsibility, Area)
            .join(Area)
            .where((Responsibility.department == department) & Responsibility.area.in_([g.id for g in grids] or [0]))
        )
        if user is not None:
            query = query.where(Responsibility.user == user)
        rows = list(query)
        if rows:
            Responsibility.delete().where(Responsibility.id.in_([r.id for r in rows])).execute()
            audit.record(
                "responsibility.unassign",
                "department",
                department.id,
                f"{department.name}: {user.name if user else _('everyone')} × {len({r.area_id for r in rows})}",
                before={"user": user.username if user else None, "grids": sorted({r.area.code for r in rows})},
            )
    return len({r.area_id for r in rows})


def assign_collector(areas: list[Area], user: User) -> int:
    with db.atomic():
        have = {
            row.area_id
            for row in GridAssignment.select().where(
                (GridAssignment.user == user) & GridAssignment.area.in_([a.id for a in areas] or [0])
            )
        }
        new = [a for a in areas if a.id not in have]
        for area in new:
            GridAssignment.insert(user=user, area=area).on_conflict_ignore().execute()
        if new:
            audit.record(
                "collector.assign",
                "user",
                user.id,
                f"{user.name} × {len(new)}",
                after={"areas": [a.code for a in new]},
            )
    return len(new)


def unassign_collector(areas: list[Area], user: User) -> tuple[int, list[Area]]:
    """Remove the areas and everything under them from the collector's. Returns how many rows went and
    the grids that stay covered through a larger area."""
    with db.atomic():
        rows = [
            row
            for row in GridAssignment.select(GridAssignment, Area).join(Area).where(GridAssignment.user == user)
            if any(row.area.code.startswith(a.code) for a in areas)
        ]
        if rows:
            GridAssignment.delete().where(GridAssignment.id.in_([r.id for r in rows])).execute()
            audit.record(
                "collector.unassign",
                "user",
                user.id,
                f"{user.name} × {len(rows)}",
                before={"areas": sorted(r.area.code for r in rows)},
            )
        kept = [
            row.area
            for row in GridAssignment.select(GridAssignment, Area).join(Area).where(GridAssignment.user == user)
        ]
    still = [a for a in areas if any(a.code.startswith(k.code) and a.code != k.code for k in kept)]
    return len(rows), still


# --- hooks -------------------------------------------------------------------------------------------

bp = Blueprint("responsibility", __name__, url_prefix="/grids/responsibility")


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "grids.assign",
            "label": _l("Assign responsible people and collectors to unit grids"),
            "roles": ["admin"],
        }
    ]


@hookimpl
def menu_items(user):
    if user.can("grids.assign"):
        return [MenuItem(_l("Grid responsibility"), "responsibility.index", order=45, group="admin")]
    return []


@hookimpl
def demo_data(ctx):
    from core.maps_demo import demo_responsibility

    demo_responsibility(ctx)


# --- the page ----------------------------------------------------------------------------------------


def _area_choices() -> list[Area]:
    """Districts, streets and communities in code order: the "whole area" choices."""
    return list(Area.select().where(Area.level.in_(["district", "street", "community"])).order_by(Area.code))


def _people() -> list[tuple[Department, list[User]]]:
    by_department: dict[int, list[User]] = {}
    for user in User.select().where((User.active == True) & User.department.is_null(False)).order_by(User.name):
        by_department.setdefault(user.department_id, []).append(user)
    return [(dept, by_department[dept.id]) for _depth, dept in department_tree() if dept.id in by_department]


def _summary():
    grids = Area.select().where(Area.level == "grid").count()
    per_department = list(
        Department.select(Department, fn.COUNT(fn.DISTINCT(Responsibility.area)).alias("grids"))
        .join(Responsibility)
        .group_by(Department)
        .order_by(Department.sort, Department.name)
    )
    per_collector = list(
        User.select(User, fn.COUNT(GridAssignment.id).alias("areas"))
        .join(GridAssignment)
        .group_by(User)
        .order_by(User.name)
    )
    return grids, per_department, per_collector


def _table(area: Area | None):
    """For the grids under the chosen area: (grid, [(department, [rows])], [(collector, via)])."""
    if area is None:
        return []
    grids = grids_under([area])[:300]
    rows = (
        Responsibility.select(Responsibility, User, Department)
        .join(User)
        .switch(Responsibility)
        .join(Department)
        .where(Responsibility.area.in_([g.id for g in grids] or [0]))
        .order_by(Department.sort, Department.name, User.name)
    )
    by_grid: dict[int, dict[int, tuple]] = {}
    for row in rows:
        by_grid.setdefault(row.area_id, {}).setdefault(row.department_id, (row.department, []))[1].append(row)
    assignments = list(GridAssignment.select(GridAssignment, User, Area).join(User).switch(GridAssignment).join(Area))
    table = []
    for grid in grids:
        mine = [(a.user, a.area) for a in assignments if grid.code.startswith(a.area.code)]
        table.append((grid, list(by_grid.get(grid.id, {}).values()), mine))
    return table


def _chosen_grids(form, errors) -> tuple[list[Area], Area | None, list[Area]]:
    """(grids, the whole area chosen or None, the areas as chosen) from the map's selection or the area
    picker."""
    ids = [int(v) for v in form.getlist("grids") if v.isdigit()]
    area_id = form.get("area", "")
    if area_id.isdigit():
        area = Area.get_or_none(Area.id == int(area_id))
        if area is None:
            errors.append(_("That area no longer exists."))
            return [], None, []
        return grids_under([area]), area, [area]
    if ids:
        grids = list(Area.select().where(Area.id.in_(ids) & (Area.level == "grid")).order_by(Area.code))
        return grids, None, grids
    errors.append(_("Select grids on the map, or choose a whole street or community."))
    return [], None, []


@bp.route("/", methods=["GET", "POST"])
@requires("grids.assign")
def index():
    from core.maps import grid_map_layers

    errors: list[str] = []
    form = request.form
    if request.method == "POST":
        grids, area, chosen = _chosen_grids(form, errors)
        kind = form.get("kind") if form.get("kind") in ("department", "collector") else "department"
        op = form.get("op") if form.get("op") in ("assign", "unassign") else "assign"
        if not errors:
            if kind == "collector":
                done = _collector_change(form, op, chosen, errors)
            else:
                done = _department_change(form, op, grids, errors)
            if not errors:
                flash(done, "success")
                target = area.id if area is not None else (grids[0].parent_id if grids else None)
                return redirect(url_for("responsibility.index", area=target), 303)
    shown = Area.get_or_none(Area.id == request.args.get("area", type=int)) if request.args.get("area") else None
    grids_total, per_department, per_collector = _summary()
    return page(
        "grids/responsibility.html",
        status=422 if errors else 200,
        errors=errors,
        form=form,
        layers=grid_map_layers(current_user, measure="")[:1],
        areas=_area_choices(),
        levels=LEVELS,
        people=_people(),
        departments=[(depth, d) for depth, d in department_tree()],
        collector_users=collectors(),
        shown=shown,
        table=_table(shown),
        grids_total=grids_total,
        per_department=per_department,
        per_collector=per_collector,
        selected=list(Area.select().where(Area.id.in_([int(v) for v in form.getlist("grids") if v.isdigit()] or [0]))),
    )


def _department_change(form, op, grids, errors) -> str:
    department = Department.get_or_none(Department.id == form.get("department", type=int))
    if department is None:
        errors.append(_("Choose the department."))
        return ""
    user = None
    if form.get("user"):
        user = User.get_or_none((User.id == form.get("user", type=int)) & (User.active == True))
        if user is None or user.department_id not in descendants(department):
            errors.append(_("Choose a person of that department (or of an office under it)."))
            return ""
    if op == "assign":
        if user is None:
            errors.append(_("Choose the person to make responsible."))
            return ""
        changed = assign(grids, department, user, form.get("role", ""))
        return _(
            "%(who)s is responsible for %(n)d grids for %(department)s (%(changed)d changed, the others already were).",
            who=user.name,
            n=len(grids),
            department=department.name,
            changed=changed,
        )
    removed = unassign(grids, department, user)
    return _("%(n)d grids no longer have %(who)s responsible for %(department)s.", n=removed,
             who=user.name if user else _("anyone"), department=department.name)  # fmt: skip


def _collector_change(form, op, chosen, errors) -> str:
    user = User.get_or_none(User.id == form.get("collector", type=int))
    if user is None or user.id not in {u.id for u in collectors()}:
        errors.append(_("Choose the collector."))
        return ""
    if op == "assign":
        added = assign_collector(chosen, user)
        return _("%(who)s now patrols %(n)d more areas (%(same)d already theirs).", who=user.name, n=added,
                 same=len(chosen) - added)  # fmt: skip
    removed, still = unassign_collector(chosen, user)
    text = _("%(n)d areas removed from %(who)s.", n=removed, who=user.name)
    if still:
        covering = ", ".join(a.code for a in still[:5])
        flash(_("Still covered through a larger area of theirs: %(codes)s. Unassign that area instead.", codes=covering),
              "warning")  # fmt: skip
    return text


# --- the grid page's sections --------------------------------------------------------------------------


def _responsibility_section(grid, user):
    return {
        "responsible": responsible_for(grid),
        "collectors": collectors_of(grid),
        "can_assign": user.can("grids.assign"),
    }


def _orders_section(grid, user):
    from core.maps import can_view_cases
    from core.workorders import workflow
    from core.workorders.models import WorkOrder

    if not can_view_cases(user):
        return None
    now = clock.now()
    query = workflow.visible(user).where((WorkOrder.grid == grid.id) & WorkOrder.status.in_(list(workflow.OPEN)))
    rows = list(query.order_by(WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id).limit(20))
    overdue = query.where(WorkOrder.status.in_(list(workflow.AT_DEPARTMENT)) & (WorkOrder.due_at < now)).count()
    return {
        "rows": [(order, workflow.light(order, now), workflow.overdue(order, now)) for order in rows],
        "open_total": query.count(),
        "overdue_total": overdue,
        "statuses": workflow.STATUSES,
    }


def _placeholder(note):
    return lambda grid, user: {"note": note}


def _register_sections():
    from core.grids import GridSection, add_grid_section, grid_sections

    sections = [
        GridSection("responsibility", _l("Who is responsible"), "grids/_responsibility_section.html", _responsibility_section, 10),
        GridSection("orders", _l("Open cases"), "grids/_orders_section.html", _orders_section, 20),
        GridSection("components", _l("Components"), "grids/_placeholder_section.html",
                    _placeholder(_l("No components are recorded for this grid yet.")), 30),
        GridSection("evaluation", _l("Recent evaluation"), "grids/_placeholder_section.html",
                    _placeholder(_l("No evaluation has been published for this grid yet.")), 40),
    ]  # fmt: skip
    have = {s.key for s in grid_sections}
    for section in sections:
        if section.key not in have:  # a module that registered its own (components...) keeps it
            add_grid_section(section)


_register_sections()
