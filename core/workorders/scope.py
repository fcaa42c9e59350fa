"""Who may see which cases: a collector their grids' (an area means every grid under it), a department
its own (and a team's handler the cases assigned to them), the centre every case, and everybody the
cases they reported. `visible()` is the one query
filter every list uses; `can_see()` answers the same from a row already loaded."""

from core.responsibility.people import grid_ids  # a collector's grids: core.responsibility's (scope.grid_ids)
from core.workorders.models import WorkOrder


def scope_condition(user):
    """A where-clause limiting WorkOrder rows to those the user may see, or None for everything."""
    if user.can("workorder.view_all"):
        return None
    condition = WorkOrder.reporter == user.id
    if user.can("workorder.view_department"):
        if user.department_id:
            condition |= WorkOrder.department == user.department_id
        condition |= WorkOrder.assignee == user.id
    if user.can("workorder.view_grid"):
        grids = grid_ids(user)
        if grids:
            condition |= WorkOrder.grid.in_(list(grids))
    return condition


def visible(user, query=None):
    query = query if query is not None else WorkOrder.select()
    condition = scope_condition(user)
    return query if condition is None else query.where(condition)


def can_see(user, order: WorkOrder) -> bool:
    """scope_condition() answered from a row already loaded from the database (no query)."""
    if user.can("workorder.view_all") or (order.reporter_id is not None and order.reporter_id == user.id):
        return True
    if user.can("workorder.view_department") and (
        (user.department_id and order.department_id == user.department_id) or order.assignee_id == user.id
    ):
        return True
    return user.can("workorder.view_grid") and order.grid_id is not None and order.grid_id in grid_ids(user)


def in_grids(user, order: WorkOrder) -> bool:
    """The case is in one of the user's patrol areas (the centre counts as everywhere)."""
    return user.can("workorder.view_all") or (order.grid_id is not None and order.grid_id in grid_ids(user))


def outside_areas(user, grid_id) -> bool:
    """A collector reporting into a grid outside their patrol areas."""
    return (
        bool(grid_id)
        and user.can("workorder.view_grid")
        and not user.can("workorder.view_all")
        and (getattr(grid_id, "id", grid_id) not in grid_ids(user))
    )


def can_view_cases(user) -> bool:
    """The user sees some cases beyond their own reports (the case list and case pages are theirs)."""
    return any(user.can(p) for p in ("workorder.view_all", "workorder.view_department", "workorder.view_grid"))


def may_view_attachments(user, order_id) -> bool:
    """The case's attachments (core.attachments): for whoever may open the case's page."""
    if not can_view_cases(user):
        return False
    order = WorkOrder.get_or_none(WorkOrder.id == order_id)
    return order is not None and can_see(user, order)
