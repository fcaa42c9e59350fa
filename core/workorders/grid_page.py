"""The grid page's "Open cases" section (the grid_sections hook, core/workorders/__init__.py), and the
grid's responsible people on a case page (core/responsibility/)."""

from flask_babel import lazy_gettext as _l

from core import clock
from core.plugins import GridSection
from core.responsibility.people import people_for
from core.workorders import clocks, scope, states
from core.workorders.models import WorkOrder


def sections(grid, user) -> list[GridSection]:
    """ "Open cases" for those who may see cases (after "Who is responsible")."""
    if not scope.can_view_cases(user):
        return []
    return [GridSection("orders", _l("Open cases"), "grids/_orders_section.html", _open_cases(grid, user), 20)]


def _open_cases(grid, user) -> dict:
    now = clock.now()
    query = scope.visible(user).where((WorkOrder.grid == grid.id) & WorkOrder.status.in_(list(states.OPEN)))
    rows = list(query.order_by(WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id).limit(20))
    overdue = query.where(WorkOrder.status.in_(list(states.AT_DEPARTMENT)) & (WorkOrder.due_at < now)).count()
    return {
        "rows": [(order, clocks.light(order, now), clocks.overdue(order, now)) for order in rows],
        "open_total": query.count(),
        "overdue_total": overdue,
        "statuses": states.STATUSES,
    }


def responsible_people(order) -> list:
    """The grid's responsible people for the case's department (or, before dispatch, for the department
    suggested for it)."""
    return people_for(order.grid_id, order.department_id or order.suggested_department_id)
