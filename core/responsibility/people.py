"""Responsibility per grid (网格化管理, "责任落实到人"): for each unit grid and department, the people
answerable for it, with a role text (责任人, 养护责任人 ...); and the collectors' responsibility areas,
which are `GridAssignment` rows (the same rows that scope what a collector sees, `grid_ids`).

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

The department a new case is suggested for comes from core.catalogue.dispatch_rules (category × area); the grid's
responsible people for it are shown next to it on the case page. The tables are in
core/responsibility/models.py, the pages in core/responsibility/views.py."""

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.areas import Area
from core.db import db
from core.org import Department, RolePermission, User, UserRole
from core.responsibility.models import DEFAULT_ROLE, GridAssignment, Responsibility

# The role texts the demo and the assignment form offer, stored as written (Chinese, as on the
# bureau's paperwork) and shown in the reader's language; any other text is shown as written.
ROLE_LABELS = {
    "责任人": _l("Responsible person"),
    "分管负责人": _l("Leader in charge"),
    "养护责任人": _l("Maintenance lead"),
    "执法责任人": _l("Enforcement lead"),
}


def role_label(text: str) -> str:
    return str(ROLE_LABELS[text]) if text in ROLE_LABELS else text


COLLECTOR_PERMISSION = "workorder.view_grid"


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


def grid_ids(user) -> set[int]:
    """The unit grids of a collector's responsibility areas (an area means every grid under it)."""
    cache = g.setdefault("_grid_ids", {})
    if user.id not in cache:
        codes = [
            a.area.code
            for a in GridAssignment.select(GridAssignment, Area).join(Area).where(GridAssignment.user == user)
        ]
        ids: set[int] = set()
        if codes:
            condition = None
            for code in codes:
                clause = Area.code.startswith(code)
                condition = clause if condition is None else condition | clause
            ids = {a.id for a in Area.select(Area.id).where((Area.level == "grid") & condition)}
        cache[user.id] = ids
    return cache[user.id]


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
