"""The installation's working-time calendar and the deadline functions the rest of the project calls.

The arithmetic is core.worktime.calendar's (its docstring gives each unit's rule); this module loads the
calendar from the database — the working periods and weekdays from core.settings, the special days from
core.worktime.models — and offers `due_at`, `counted_seconds`, `advance`, `warn_at`, `light`,
`used_ratio`, `due_after_pause`, `is_working_day` and `explain` on it, each taking `calendar=` to use
another one (tests, benchmarks).

Speed: the calendar is loaded once per process and kept in memory. A version token stored in
core.settings changes with every edit; the cached calendar compares it once per request (or, outside
requests, at most once every CHECK_INTERVAL seconds) and reloads when it changed. Hot loops may take
`cal = current_calendar()` once and call `cal.due_at(...)` directly.
"""

import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, g, has_app_context, has_request_context
from flask_babel import format_date
from flask_babel import gettext as _

from core import settings
from core.config import DEFAULTS
from core.db import db
from core.timelimits import CONTINUOUS_SECONDS, UNITS, TimeLimit, parse_limit
from core.worktime.calendar import (
    DEFAULT_PERIODS,
    DEFAULT_WEEKDAYS,
    WORK_UNITS,
    Calendar,
    check_weekdays,
    format_periods,
    parse_periods,
    set_translator,
)
from core.worktime.models import CalendarDay
from core.worktime.seasons import DEFAULT_PLANTING_SEASONS, clock_start, parse_seasons

PERIODS_KEY, WEEKDAYS_KEY, VERSION_KEY = "worktime.periods", "worktime.weekdays", "worktime.version"
CHECK_INTERVAL = 1.0  # seconds between version checks outside requests

set_translator(_)  # CalendarError's messages in the user's language
# Continuous units need no calendar data: any calendar counts them alike, without loading the database's.
CONTINUOUS = Calendar()


# --- the installation's calendar, cached per process ---------------------------------------------------------

_cache: dict = {"key": None, "calendar": None, "checked": 0.0}


def stored_hours() -> tuple[list[tuple[int, int]], tuple[int, ...]]:
    """The working periods and weekdays as stored (the defaults until an administrator saves them)."""
    periods_text = settings.get(PERIODS_KEY)
    weekdays_text = settings.get(WEEKDAYS_KEY)
    periods = parse_periods(periods_text) if periods_text else list(DEFAULT_PERIODS)
    weekdays = check_weekdays(weekdays_text.split(",")) if weekdays_text else DEFAULT_WEEKDAYS
    return periods, weekdays


def _config(key: str):
    """A setting of core/config.py; its default outside an application context (scripts, some tests)."""
    return current_app.config.get(key, DEFAULTS.get(key)) if has_app_context() else DEFAULTS.get(key)


def work_day_rule() -> tuple[str, float]:
    """The configured WORK_DAY_RULE and WORK_DAY_HOURS."""
    return _config("WORK_DAY_RULE"), _config("WORK_DAY_HOURS")


def load() -> Calendar:
    """Read the calendar from the database (the version first, so a concurrent edit makes it stale)."""
    version = settings.get(VERSION_KEY)
    periods, weekdays = stored_hours()
    days = {row.date: (row.kind, row.name) for row in CalendarDay.select()}
    rule, hours = work_day_rule()
    return Calendar(periods, weekdays, days, version=version, work_day_rule=rule, work_day_hours=hours)


def invalidate():
    """Forget the cached calendar in this process (after an edit; other processes see the new version)."""
    _cache.update(key=None, calendar=None, checked=0.0)
    if has_request_context():
        g.pop("_worktime_calendar", None)


def _current(check: bool) -> Calendar:
    cached = _cache["calendar"]
    if cached is not None and not check and _time.monotonic() - _cache["checked"] < CHECK_INTERVAL:
        return cached
    key = (id(db.obj), settings.get(VERSION_KEY), *work_day_rule())
    if cached is None or key != _cache["key"]:
        cached = load()
        _cache.update(key=(key[0], cached.version, *key[2:]), calendar=cached)
    _cache["checked"] = _time.monotonic()
    return cached


def current_calendar() -> Calendar:
    """The installation's calendar: checked against the stored version once per request, or at most
    every CHECK_INTERVAL seconds outside requests. Needs the database (an app context)."""
    if has_request_context():
        found = g.get("_worktime_calendar")
        if found is None:
            found = g._worktime_calendar = _current(check=True)
        return found
    return _current(check=False)


def _cal(calendar: Calendar | None) -> Calendar:
    return calendar if calendar is not None else current_calendar()


def seasons(season: str):
    """The month-day ranges of a season ("planting": config PLANTING_SEASONS)."""
    return parse_seasons(_config(f"{season.upper()}_SEASONS") or DEFAULT_PLANTING_SEASONS)


def season_start(start: datetime, season: str = "", *, calendar: Calendar | None = None) -> datetime:
    """When the clock of a limit counted in `season` starts (core.worktime.seasons): `start` itself inside the
    season or without one, else the first working period of the season's next opening."""
    if not season:
        return start
    return clock_start(_cal(calendar), start, seasons(season))


def due_at(start: datetime, value, unit: str, *, season: str = "", calendar: Calendar | None = None) -> datetime:
    """The due time of a limit of `value` units (core.worktime.calendar's docstring gives each unit's rule);
    a `season` ("planting") limit counts from season_start()."""
    start = season_start(start, season, calendar=calendar)
    if unit in CONTINUOUS_SECONDS:
        return CONTINUOUS.due_at(start, value, unit)
    return _cal(calendar).due_at(start, value, unit)


def counted_seconds(start: datetime, end: datetime, unit: str, *, calendar: Calendar | None = None) -> float:
    """How many seconds of the unit's clock ran from start to end (negative if end < start)."""
    if unit in CONTINUOUS_SECONDS:
        return (end - start).total_seconds()
    return _cal(calendar).counted_seconds(start, end, unit)


def advance(start: datetime, seconds: float, unit: str, *, calendar: Calendar | None = None) -> datetime:
    """The instant at which `seconds` of the unit's clock have run since start."""
    if unit in CONTINUOUS_SECONDS:
        return CONTINUOUS.advance(start, seconds, unit)
    return _cal(calendar).advance(start, seconds, unit)


def warn_at(start: datetime, due: datetime, unit: str, *, calendar: Calendar | None = None) -> datetime:
    """When a clock running from start to due turns yellow: 80 % of its counted time used (see light())."""
    return advance(start, counted_seconds(start, due, unit, calendar=calendar) * 0.8, unit, calendar=calendar)


def light(start: datetime, due: datetime, now: datetime, unit: str, *, pauses=(), calendar=None) -> str:
    """ "green" below 80 % of the limit used, "yellow" from 80 % to 100 % included, "red" beyond."""
    return _cal(calendar).light(start, due, now, unit, pauses)


def used_ratio(start: datetime, due: datetime, now: datetime, unit: str, *, pauses=(), calendar=None) -> float:
    return _cal(calendar).used_ratio(start, due, now, unit, pauses)


def due_after_pause(due: datetime, paused_from: datetime, paused_to: datetime, unit: str, *, calendar=None):
    """The due time moved on by what the unit's clock ran from paused_from to paused_to."""
    return _cal(calendar).due_after_pause(due, paused_from, paused_to, unit)


def is_working_day(day: date, *, calendar: Calendar | None = None) -> bool:
    return _cal(calendar).is_working_day(day)


# --- explaining a deadline --------------------------------------------------------------------------------


def format_moment(at: datetime) -> str:
    return f"{at:%Y-%m-%d} ({_weekday(at.date())}) {at:%H:%M}" + (f":{at:%S}" if at.second else "")


def limit_text(limit: TimeLimit) -> str:
    return f"{limit.value.normalize():f} {UNITS[limit.unit]}"


@dataclass
class Explanation:
    start: datetime
    limit: TimeLimit
    due: datetime
    first: datetime  # when the unit's clock starts running
    periods: tuple  # the working periods the explanation speaks of
    skipped: list[tuple[date, date, str]] = field(default_factory=list)  # first runs of non-working days
    skipped_count: int = 0  # non-working days from the start to the due time, all of them
    work_day_hours: float = 0  # a work_day's working hours under the "working_hours" rule, else 0

    @property
    def text(self) -> str:
        """One line, in the user's language."""
        due = format_moment(self.due)
        if self.limit.unit not in WORK_UNITS:
            return _(
                "%(limit)s, counted continuously (nights, weekends and holidays included): due %(due)s.",
                limit=limit_text(self.limit),
                due=due,
            )
        shown = [f"{a:%m-%d}{'' if a == b else f'–{b:%m-%d}'} {label}" for a, b, label in self.skipped]
        rest = self.skipped_count - sum((b - a).days + 1 for a, b, _label in self.skipped)
        if rest > 0:
            shown.append(_("%(n)d more", n=rest))
        if self.limit.unit == "work_hour":
            rule = _("counted in %(periods)s on working days", periods=format_periods(self.periods))
        elif self.work_day_hours:
            rule = _(
                "counted in %(periods)s on working days, %(hours)s working hours to the working day",
                periods=format_periods(self.periods),
                hours=f"{self.work_day_hours:g}",
            )
        else:
            rule = _("counted in whole working days, to the same clock time")
        return _(
            "%(limit)s, %(rule)s. Counting starts %(first)s; skipped: %(skipped)s. Due %(due)s.",
            limit=limit_text(self.limit),
            rule=rule,
            first=format_moment(self.first),
            skipped="、".join(shown) if shown else _("nothing"),
            due=due,
        )


SHOWN_SKIPPED = 6  # runs of non-working days named in an explanation


def explain(start: datetime, limit: TimeLimit | str, *, calendar: Calendar | None = None) -> Explanation:
    """The due time of `limit` from `start` and why; raises LimitError or CalendarError on bad input."""
    limit = parse_limit(limit) if isinstance(limit, str) else limit
    cal = _cal(calendar)
    begin = season_start(start, limit.season, calendar=cal)  # a seasonal limit may wait for its season
    due = cal.due_at(begin, limit.value, limit.unit)
    result = Explanation(start, limit, due, cal.first_counted(begin, limit.unit), cal.periods)
    if cal.work_day_rule == "working_hours":
        result.work_day_hours = cal.work_day_hours
    if limit.unit not in WORK_UNITS:
        return result
    # The days the clock stood still on, up to the due time (a due time at 00:00 ends the day before);
    # consecutive days of one holiday are one run.
    last = (due.date() if due.time() else due.date() - timedelta(days=1)).toordinal()
    first = begin.toordinal()
    if last < first:
        return result
    result.skipped_count = last - first + 1 - cal.working_days(begin.date(), date.fromordinal(last))
    runs = result.skipped
    for ordinal in range(first, last + 1):
        day = date.fromordinal(ordinal)
        if cal.is_working_day(day):
            continue
        name = cal.days.get(day, ("", ""))[1]
        if runs and name and runs[-1][2] == name and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day, name)
        elif len(runs) < SHOWN_SKIPPED:
            runs.append((day, day, name or _weekday(day)))
        else:
            break
    return result


def _weekday(day: date) -> str:
    return format_date(day, "EEE")
