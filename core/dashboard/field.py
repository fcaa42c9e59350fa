"""The field home (issue 11, phone layouts): what a collector sees first on the home page — the
"Report a problem" button, the cases to verify and to check in their grids, and the open cases near
where they stand. The centre's dashboard widgets follow it (docs/dashboard.md, "On a phone")."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from peewee import JOIN

from core.areas import Area
from core.catalogue.models import Category
from core.workorders import nearby, scope, states
from core.workorders.models import WorkOrder

FIELD_PERMISSIONS = ("workorder.report", "workorder.verify", "workorder.check")
# A user with one of these works at a desk as well: the field home then comes first on a phone only.
DESK_PERMISSIONS = ("workorder.view_all", "workorder.view_department")
FIRST_FEW = 5
NEARBY_COUNT = 8


@dataclass
class Tasks:
    name: str  # the inbox box (core.workorders.views.boxes)
    label: str
    count: int
    first: list = field(default_factory=list)


@dataclass
class FieldHome:
    only: bool  # the user works only in the field: the field home comes first on every screen
    can_report: bool
    tasks: list
    nearby: bool  # may look for open cases nearby


def is_field_user(user) -> bool:
    return any(user.can(p) for p in FIELD_PERMISSIONS)


def _on_site(user, status: str):
    """The cases in `status` in the user's own grids (what the to_verify / to_check boxes hold)."""
    query = scope.visible(user).where(WorkOrder.status == status)
    if not user.can("workorder.view_all"):
        query = query.where(WorkOrder.grid.in_(sorted(scope.grid_ids(user)) or [0]))
    return query


def _with_names(query):
    return (
        query.select(WorkOrder, Category, Area)
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
    )


def tasks(user) -> list[Tasks]:
    found = []
    for name, status, permission, label in (
        ("to_verify", "to_verify", "workorder.verify", _("To verify on site")),
        ("to_check", "handled", "workorder.check", _("To check on site")),
    ):
        if not user.can(permission):
            continue
        query = _on_site(user, status)
        first = _with_names(query).order_by(WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id).limit(FIRST_FEW)
        found.append(Tasks(name, label, query.count(), list(first)))
    return found


def field_home(user) -> FieldHome | None:
    """What the home page shows first for `user`, or None for a user who does not work in the field."""
    if not is_field_user(user):
        return None
    return FieldHome(
        only=not any(user.can(p) for p in DESK_PERMISSIONS),
        can_report=user.can("workorder.report"),
        tasks=tasks(user),
        nearby=user.can("workorder.view_grid") or user.can("workorder.view_all"),
    )


def nearby_open(user, lat: float, lon: float, count: int = NEARBY_COUNT) -> list:
    """The open cases the user may see within nearby.NEARBY_METRES of (lat, lon), nearest first."""
    query = scope.visible(user).where(
        WorkOrder.status.in_(sorted(states.OPEN)) & nearby.within(lat, lon, nearby.NEARBY_METRES)
    )
    found = _with_names(query).order_by(*nearby.nearest_first(lat, lon)).limit(count)
    return [order for order in found if nearby.metres(order, (lat, lon)) <= nearby.NEARBY_METRES]  # not the corners
