"""The dashboard's figures, each a plain function of a period [start, end) and a scope.

`scope` is a where-clause on WorkOrder (from `core.workorders.workflow.scope_condition`), or None for
the whole city. A case belongs to a scope by what it is now (its current department and grid), so a
department's figures are those of the cases that are at, or were reported by, that department today.
Times are naive local times (core.clock). Every figure is computed by grouped queries over indexed
columns: WorkOrderEvent.at, WorkOrder.reported_at and WorkOrder.due_at, never a query per day.
docs/dashboard.md lists the same definitions for users.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from peewee import JOIN, Case, Window, fn

from core import clock, worktime
from core.areas import Area
from core.catalogue import Category
from core.db import db
from core.timelimits import parse_limit
from core.workorders import workflow
from core.workorders.models import WorkOrder, WorkOrderEvent

# figure → the event action that counts it
COUNTED_ACTIONS = {
    "reported": "create",
    "filed": "file",
    "dispatched": "dispatch",
    "handled": "report_handled",
    "closed": "close",
}
# Not "due to handle" while in these statuses: an approved suspension stops the clock (domain.md §5),
# and a returned case waits for re-dispatch, which sets a new deadline.
NOT_DUE_TO_HANDLE = ("suspended", "returned")
# How far before a period a dispatch stage may have started and still fall due inside it, when the
# dispatch limit counts working time only (a long public holiday).
WORK_TIME_MARGIN = timedelta(days=15)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time())


def today_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """From 00:00 today (local time) to 00:00 tomorrow."""
    now = now or clock.now()
    start = day_start(now.date())
    return start, start + timedelta(days=1)


def last_days_period(days: int = 30, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The `days` calendar days ending with today: from 00:00 `days - 1` days ago to 00:00 tomorrow."""
    start, end = today_period(now)
    return start - timedelta(days=days - 1), end


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator × 100, or None (shown as "—") when the denominator is zero."""
    return None if not denominator else numerator * 100.0 / denominator


def _day(value) -> date:
    """A grouped SQL date (SQLite gives text, PostgreSQL a date) as a date."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _events(start, end, actions, scope):
    query = WorkOrderEvent.select().where(
        (WorkOrderEvent.at >= start) & (WorkOrderEvent.at < end) & WorkOrderEvent.action.in_(actions)
    )
    if scope is not None:
        query = query.join(WorkOrder, on=(WorkOrderEvent.order == WorkOrder.id)).where(scope)
    return query


def counts(start: datetime, end: datetime, scope=None) -> dict[str, int]:
    """What happened in the period, counted from the event log (one event = one count):
    reported = cases created; filed = cases filed; dispatched = dispatches (a re-dispatch after a
    return counts again); handled = handling reports (a rework round counts again); closed = cases
    closed."""
    query = (
        _events(start, end, list(COUNTED_ACTIONS.values()), scope)
        .select(WorkOrderEvent.action, fn.COUNT(WorkOrderEvent.id))
        .group_by(WorkOrderEvent.action)
    )
    by_action = dict(query.tuples())
    return {figure: by_action.get(action, 0) for figure, action in COUNTED_ACTIONS.items()}


def daily_counts(start: datetime, end: datetime, scope=None, figures=("reported", "closed")) -> dict[str, dict]:
    """counts() for every day of the period: {figure: {date: n}}, days without events absent."""
    day = fn.date(WorkOrderEvent.at)
    query = (
        _events(start, end, [COUNTED_ACTIONS[f] for f in figures], scope)
        .select(day, WorkOrderEvent.action, fn.COUNT(WorkOrderEvent.id))
        .group_by(day, WorkOrderEvent.action)
    )
    action_figure = {COUNTED_ACTIONS[f]: f for f in figures}
    result = {figure: {} for figure in figures}
    for value, action, n in query.tuples():
        result[action_figure[action]][_day(value)] = n
    return result


def _handling(start, end, scope, by_day: bool):
    """(due to handle, handled on time) by deadline day, or in total under the key None."""
    on_time = Case(None, [(WorkOrder.handled_at.is_null(False) & (WorkOrder.handled_at <= WorkOrder.due_at), 1)], 0)
    key = fn.date(WorkOrder.due_at) if by_day else None
    columns = [fn.COUNT(WorkOrder.id), fn.SUM(on_time)]
    query = WorkOrder.select(*([key] if by_day else []), *columns).where(
        (WorkOrder.due_at >= start) & (WorkOrder.due_at < end) & WorkOrder.status.not_in(NOT_DUE_TO_HANDLE)
    )
    if scope is not None:
        query = query.where(scope)
    if by_day:
        return {_day(day): (due, int(good or 0)) for day, due, good in query.group_by(key).tuples()}
    due, good = query.tuples().get()
    return {None: (due or 0, int(good or 0))}


def _dispatch_stages(start, end, scope):
    """(deadline, on time) for every dispatch stage falling due in [start, end).

    A dispatch stage starts when a case is filed, or returned by a department, and ends with the next
    dispatch of that case; its deadline is the dispatch stage limit (config WORKFLOW stage_limits)
    counted from its start. A stage ended by voiding the case is not due. Only events before `end`
    are read, so a past period's figure does not change later: a stage still undispatched at `end`
    with its deadline before `end` was late."""
    limit = parse_limit(workflow.rules().stage_limits["dispatch"])
    value = Decimal(limit.value)
    if limit.unit in worktime.WORK_UNITS:
        margin = WORK_TIME_MARGIN + timedelta(seconds=float(value) * worktime.UNIT_SECONDS[limit.unit])
        calendar = worktime.current_calendar()

        def deadline_of(at):
            return worktime.due_at(at, value, limit.unit, calendar=calendar)
    else:
        margin = timedelta(seconds=float(value) * worktime.UNIT_SECONDS[limit.unit])

        def deadline_of(at):
            return at + margin

    # Each stage start with the event that follows it (LEAD over the case's events), in one query.
    E = WorkOrderEvent
    case_events = Window(partition_by=[E.order], order_by=[E.at, E.id])
    inner = (
        _events(start - margin, end, ["file", "return", "dispatch", "void"], scope)
        .select(
            E.action.alias("action"),
            E.at.alias("at"),
            fn.LEAD(E.action).over(case_events).alias("next_action"),
            fn.LEAD(E.at).over(case_events).alias("next_at"),
        )
        .window(case_events)
    )
    query = inner.select_from(inner.c.at, inner.c.next_action, inner.c.next_at).where(
        inner.c.action.in_(["file", "return"])
    )
    stages = []
    # Raw rows: peewee's per-value conversion would cost more than the rest of the work together.
    for at, next_action, next_at in db.execute(query).fetchall():
        deadline = deadline_of(_datetime(at))
        if not start <= deadline < end or next_action == "void":
            continue
        stages.append((deadline, next_action == "dispatch" and _datetime(next_at) <= deadline))
    return stages


def _datetime(value) -> datetime:
    """A raw database value as a datetime (SQLite gives ISO text, PostgreSQL a datetime)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def rates(start: datetime, end: datetime, scope=None, now: datetime | None = None) -> dict:
    """Timeliness over [start, end), counting only deadlines that have passed (end is cut at now):

    - due_to_handle: dispatched cases whose handling deadline (WorkOrder.due_at, moved by approved
      extensions and suspensions, renewed by a rework) falls in the period, excluding cases suspended
      (approved 挂账) or returned to the centre now;
    - handled_on_time: of those, the ones whose handling was reported at or before that deadline;
    - on_time_handling_rate = handled_on_time / due_to_handle × 100 (None when nothing was due);
    - due_to_dispatch: dispatch stages (from filing, or from a department's return, to the next
      dispatch) whose deadline (the dispatch stage limit) falls in the period; a stage that ended in
      voiding the case is not counted;
    - dispatched_on_time: of those, the ones dispatched at or before their deadline;
    - on_time_dispatch_rate = dispatched_on_time / due_to_dispatch × 100 (None when nothing was due).

    The keys are those of core.evaluation.indicators.city_figures, so the dashboard can take its
    figures from there instead."""
    end = min(end, now or clock.now())
    if end <= start:
        due = good = 0
        stages = []
    else:
        due, good = _handling(start, end, scope, by_day=False)[None]
        stages = _dispatch_stages(start, end, scope)
    dispatched_on_time = sum(1 for _, ok in stages if ok)
    return {
        "due_to_handle": due,
        "handled_on_time": good,
        "on_time_handling_rate": rate(good, due),
        "due_to_dispatch": len(stages),
        "dispatched_on_time": dispatched_on_time,
        "on_time_dispatch_rate": rate(dispatched_on_time, len(stages)),
    }


def daily_handling(start: datetime, end: datetime, scope=None, now: datetime | None = None) -> dict[date, tuple]:
    """The handling part of rates() for every day of the period: {date: (due, on time)}."""
    end = min(end, now or clock.now())
    return _handling(start, end, scope, by_day=True) if end > start else {}


def overdue_now(scope=None, now: datetime | None = None):
    """The query of cases overdue now: at a department (dispatched or being handled) with their handling
    deadline passed — the same rule as workflow.overdue()."""
    query = WorkOrder.select().where(
        WorkOrder.status.in_(list(workflow.AT_DEPARTMENT)) & (WorkOrder.due_at < (now or clock.now()))
    )
    return query if scope is None else query.where(scope)


def newest(scope=None, limit: int = 10) -> list[WorkOrder]:
    """The most recently reported cases, newest first."""
    query = (
        WorkOrder.select(WorkOrder, Category, Area)
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
    )
    if scope is not None:
        query = query.where(scope)
    return list(query.order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc()).limit(limit))


def top_categories(start: datetime, end: datetime, scope=None, limit: int = 10) -> list[tuple[str, str, int]]:
    """Cases reported in the period by category, most first: (code, name, n). Cases without a category
    yet (hotline reports before filing) are left out."""
    n = fn.COUNT(WorkOrder.id)
    query = (
        WorkOrder.select(Category.code, Category.name, n)
        .join(Category, on=(WorkOrder.category == Category.id))
        .where((WorkOrder.reported_at >= start) & (WorkOrder.reported_at < end))
    )
    if scope is not None:
        query = query.where(scope)
    return list(
        query.group_by(Category.id, Category.code, Category.name)
        .order_by(n.desc(), Category.code)
        .limit(limit)
        .tuples()
    )


def hotspots(start: datetime, end: datetime, scope=None, limit: int = 10) -> list[tuple[str, str, int]]:
    """Unit grids with the most cases reported in the period: (code, name, n)."""
    n = fn.COUNT(WorkOrder.id)
    query = (
        WorkOrder.select(Area.code, Area.name, n)
        .join(Area, on=(WorkOrder.grid == Area.id))
        .where((WorkOrder.reported_at >= start) & (WorkOrder.reported_at < end))
    )
    if scope is not None:
        query = query.where(scope)
    return list(query.group_by(Area.id, Area.code, Area.name).order_by(n.desc(), Area.code).limit(limit).tuples())


def open_by_grid(scope=None) -> dict[str, int]:
    """Open cases (not closed, voided or refused) per unit grid code."""
    query = (
        WorkOrder.select(Area.code, fn.COUNT(WorkOrder.id))
        .join(Area, on=(WorkOrder.grid == Area.id))
        .where(WorkOrder.status.in_(list(workflow.OPEN)))
    )
    if scope is not None:
        query = query.where(scope)
    return dict(query.group_by(Area.code).tuples())
