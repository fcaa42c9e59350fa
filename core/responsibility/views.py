"""The pages of grid responsibility: the administrators' bulk assignment page (/grids/responsibility/) and
the grid page's section "Who is responsible" (the grid_sections hook, core/responsibility/__init__.py;
"Open cases" is core.workorders'). The rules are in core/responsibility/people.py."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from core.areas import LEVELS, Area
from core.org import Department, User, department_tree, descendants
from core.parsing import parse_id, parse_ids
from core.permissions import requires
from core.plugins import GridSection
from core.responsibility.models import GridAssignment, Responsibility
from core.responsibility.people import (
    assign,
    assign_collector,
    collectors,
    collectors_of,
    grids_under,
    responsible_for,
    role_label,
    unassign,
    unassign_collector,
)
from core.web import page

bp = Blueprint("responsibility", __name__, url_prefix="/grids/responsibility")
bp.add_app_template_filter(role_label, "responsibility_role")


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
    ids = parse_ids(form.getlist("grids"))
    area_id = parse_id(form.get("area"))
    if area_id is not None:
        area = Area.get_or_none(Area.id == area_id)
        if area is None:
            errors.append(_("That area no longer exists."))
            return [], None, []
        return grids_under([area]), area, [area]
    if ids:
        grids = list(Area.select().where(Area.id.in_(ids) & (Area.level == "grid")).order_by(Area.code))
        return grids, None, grids
    errors.append(_("Select grids on the map, or choose a whole street or community."))
    return [], None, []


def grids_layer() -> dict:
    """The unit grids as outlines to pick from (core.maps serves them; importing its layers here would
    make core.maps and core.responsibility depend on each other, it reads the collectors' areas)."""
    return {"name": _("Unit grids"), "url": url_for("maps.grids_geojson", measure=""), "kind": "areas", "fit": True}


@bp.route("/", methods=["GET", "POST"])
@requires("grids.assign")
def index():
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
    shown = Area.get_or_none(Area.id == request.args.get("area", type=parse_id)) if request.args.get("area") else None
    grids_total, per_department, per_collector = _summary()
    return page(
        "grids/responsibility.html",
        status=422 if errors else 200,
        errors=errors,
        form=form,
        layers=[grids_layer()],
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
        selected=list(Area.select().where(Area.id.in_(parse_ids(form.getlist("grids")) or [0]))),
    )


def _department_change(form, op, grids, errors) -> str:
    department = Department.get_or_none(Department.id == form.get("department", type=parse_id))
    if department is None:
        errors.append(_("Choose the department."))
        return ""
    user = None
    if form.get("user"):
        user = User.get_or_none((User.id == form.get("user", type=parse_id)) & (User.active == True))
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
    user = User.get_or_none(User.id == form.get("collector", type=parse_id))
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


def sections(grid, user) -> list[GridSection]:
    """The grid page's "Who is responsible", for everyone who sees the page."""
    return [
        GridSection(
            "responsibility",
            _l("Who is responsible"),
            "grids/_responsibility_section.html",
            {
                "responsible": responsible_for(grid),
                "collectors": collectors_of(grid),
                "can_assign": user.can("grids.assign"),
            },
            10,
        )
    ]
