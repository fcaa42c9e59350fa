"""The dashboard's figures, each a plain function of a period [start, end) and a scope.

The timeliness figures (rates(), daily_handling()) are the evaluation's indicators
(core.evaluation.indicators, defined in docs/evaluation.md) over an EvaluationScope: the city, a
department, or a collector's unit grids. Nothing here defines them a second time.

The other figures take `scope`, a where-clause on WorkOrder (from
`core.workorders.scope.scope_condition`), or None for the whole city: a case belongs to a scope by
what it is now (its current department and grid) or by who reported it. Times are naive local times
(core.clock). Every figure is computed by grouped queries over indexed columns, never a query per day.
docs/dashboard.md lists the same definitions for users.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import g, has_request_context
from peewee import JOIN, fn

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.evaluation import indicators
from core.workorders import states
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.scope import grid_ids

# figure → the event action that counts it
COUNTED_ACTIONS = {
    "reported": "create",
    "filed": "file",
    "dispatched": "dispatch",
    "handled": "report_handled",
    "closed": "close",
}
# The timeliness figures: the evaluation's indicators of the same names.
RATE_CODES = [
    "due_to_dispatch", "dispatched_on_time", "on_time_dispatch_rate",
    "due_to_handle", "handled_on_time", "on_time_handling_rate",
]  # fmt: skip
TREND_CODES = ["due_to_handle", "handled_on_time", "on_time_handling_rate"]


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


@dataclass(frozen=True)
class EvaluationScope:
    """Whose timeliness the dashboard shows, as objects of an evaluation level (core.evaluation):
    the city, one department, or a collector's unit grids (their rows summed)."""

    level: str  # "city", "department" or "grid"
    keys: tuple[str, ...]


CITY = EvaluationScope("city", ("city",))


def evaluation_scope(user) -> EvaluationScope | None:
    """The evaluation objects matching the user's case scope (scope_condition()), in the same
    order of precedence as the scope label; None for a user who sees only the cases they reported,
    which no evaluation level measures."""
    if user.can("workorder.view_all"):
        return CITY
    if user.can("workorder.view_department") and user.department_id:
        return EvaluationScope("department", (str(user.department_id),))
    grids = grid_ids(user) if user.can("workorder.view_grid") else set()
    if grids:
        codes = Area.select(Area.code).where(Area.id.in_(list(grids))).order_by(Area.code)
        return EvaluationScope("grid", tuple(code for (code,) in codes.tuples()))
    return None


def rates(start: datetime, end: datetime, scope: EvaluationScope = CITY, now: datetime | None = None) -> dict:
    """On-time dispatch and on-time handling over [start, min(end, now)): the evaluation's indicators
    (core.evaluation.indicators, docs/evaluation.md) of the scope's objects, so only deadlines that
    have passed count. Rates are floats 0..1, or None when nothing was due."""
    end = min(end, now or clock.now())
    if end <= start:
        return indicators.blank(RATE_CODES)
    return indicators.combined(scope.level, scope.keys, start, end, RATE_CODES)


def daily_handling(start: datetime, end: datetime, scope: EvaluationScope = CITY, now=None) -> dict[date, dict]:
    """The handling part of rates() for every day of [start, min(end, now)), by the day of the
    deadline, in one grouped query: {date: {due_to_handle, handled_on_time, on_time_handling_rate}};
    days with nothing due are absent."""
    end = min(end, now or clock.now())
    if end <= start:
        return {}
    return indicators.combined(scope.level, scope.keys, start, end, TREND_CODES, by_day=True)


def daily_rates(
    start: datetime, end: datetime, scope: EvaluationScope = CITY, now=None, codes=RATE_CODES
) -> dict[date, dict]:
    """rates() (its `codes`) for every day of [start, min(end, now)) by the day of the deadline (days with
    nothing due absent), computed once per request for the same period and scope: the home page's
    timeliness widget asks for every rate code, and the trend widget after it (TREND_CODES) reads the same
    cohorts (`rates_of_days`, `handling_of_days`). These evaluation queries are most of a home page's time."""
    end = min(end, now or clock.now())
    if end <= start:
        return {}
    memo = g.setdefault("_daily_rates", {}) if has_request_context() else {}
    key = (scope, str(start), str(end.replace(microsecond=0)))  # the seconds the SQL sees (measures._p)
    known = memo.get(key)
    if known is None or not set(codes) <= set(known[0]):
        known = memo[key] = (tuple(codes), indicators.combined(scope.level, scope.keys, start, end, codes, by_day=True))
    return known[1]


def rates_of_days(days: dict[date, dict], first: date | None = None) -> dict:
    """rates() of the days of daily_rates() from `first` on (all of them without): the counts summed,
    the rates recomputed from them. The same figures as rates() over those days: the stage cohorts of
    a period are those of its days, each counted once, by the day of its deadline."""
    return indicators.summed([values for day, values in days.items() if first is None or day >= first], RATE_CODES)


def handling_of_days(days: dict[date, dict]) -> dict[date, dict]:
    """daily_handling() from daily_rates(): the days on which some handling was due, their handling codes."""
    return {day: {code: v[code] for code in TREND_CODES} for day, v in days.items() if v["due_to_handle"]}


def overdue_now(scope=None, now: datetime | None = None):
    """The query of cases overdue now: at a department (dispatched or being handled) with their handling
    deadline passed — the same rule as clocks.overdue()."""
    query = WorkOrder.select().where(
        WorkOrder.status.in_(list(states.AT_DEPARTMENT)) & (WorkOrder.due_at < (now or clock.now()))
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
        .where(WorkOrder.status.in_(list(states.OPEN)))
    )
    if scope is not None:
        query = query.where(scope)
    return dict(query.group_by(Area.code).tuples())
