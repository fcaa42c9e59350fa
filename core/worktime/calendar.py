"""The working-time calendar and deadline arithmetic (domain.md §3 stage limits and lights, §4 units).

The calendar is data: the working periods of a day (default 08:00–12:00 and 14:00–18:00), the
weekdays that are normally working (default Monday–Friday), and special days (the `CalendarDay` rows): public
holidays (休) and make-up working days (调休, 班). A special day overrides its weekday. Administrators
edit it on /admin/calendar or import the State Council's notice as CSV (`flask calendar import`).

Every unit of core.timelimits.UNITS runs a clock; a limit of `value` units is `value × unit_seconds[unit]`
seconds of that clock (a Calendar's `unit_seconds`: UNIT_SECONDS, but for work_day under the
"working_hours" rule), rounded to the whole second, and the due time is the earliest instant at which
that much has run since the start:

- urgent_hour, hour: continuous time (value hours); urgent_day, day: continuous time (value × 24 h).
  Nights, weekends and holidays count. Wall-clock arithmetic on naive local datetimes (no time zones).
- work_hour: runs only inside the working periods of working days. A start outside a period counts from
  the next period. A due time falling exactly on the end of a period is that end (12:00, not 14:00), so a
  work_hour due time always lies inside or at the end of a working period of a working day.
  Friday 2026-11-27 17:30 + 4 work_hour = Monday 2026-11-30 11:30 (default calendar).
- work_day: two rules (WORK_DAY_RULE in core/config.py; a Calendar takes it as `work_day_rule`):
  - "working_hours" (the default): a work_day is `work_day_hours` (WORK_DAY_HOURS, 8) of working time,
    counted exactly like work_hour, so N work_day = N × 8 work_hour and the calendar's
    `unit_seconds["work_day"]` is 8 × 3600. Due times and yellow lights fall in working time. Monday
    2026-11-23 10:00 + 0.5 work_day = Monday 16:00 (10–12, 14–16); Friday 2026-11-27 17:00 + 1 =
    Monday 17:00 (1 h Friday, 7 h Monday); a start after hours counts from the next period.
  - "calendar_days": a work_day runs all 24 hours of every working day and stops on non-working days; a
    working day counts as 86,400 s. Hence, from a start on a working day at any clock time, N working
    days later is the same clock time on the N-th following working day (Thursday 10:00 + 1, Friday a
    holiday → Monday 10:00). A start on a non-working day counts from 00:00 of the next working day, so
    the limit ends at 24:00 of the N-th working day, shown as 00:00 of the day after (Saturday + 3 →
    Thursday 00:00). Fractions are of the 24-hour day: Monday 10:00 + 0.5 = Monday 22:00.
- Seasons ("种植季节15工作日"): core.worktime.seasons decides when such a clock starts; then it runs as above.

`counted_seconds(start, end, unit)` is how much of the unit's clock ran from start to end (negative
when end is before start), so `counted_seconds(start, due_at(start, v, u), u) == v × unit_seconds[u]`.

Lights: used = counted(start, now) / counted(start, due): green below 80 %, yellow from 80 % up to and
including 100 %, red beyond. A working-hour case due Friday 18:00 therefore stays yellow over the weekend
and turns red at Monday 08:00: its clock does not run in between.

Suspensions (挂账) stop the clock: when a pause from `paused_from` to `paused_to` ends, the work-order
module sets due = due_after_pause(due, paused_from, paused_to, unit), the due time moved on by exactly
the amount of the unit's clock that ran during the pause (a pause over a weekend moves a work_hour
deadline by nothing). For lights, pass the pauses (`(from, to)`, `to=None` while still paused) to
light(): paused time then counts neither as used time nor as limit time.

This module (with core.worktime.calendar_text, its messages and text parsing) is the arithmetic alone,
with no Flask, no database and nothing else of the project, so that it can be used and tested on its
own: a `Calendar` is built from plain data. core.worktime.deadlines
loads the installation's calendar from the database, caches it and offers `due_at(...)` and the rest
with the calendar optional; core.worktime.models holds the table of special days.

Speed: a `Calendar` keeps an index of cumulative working days, so any span costs O(1) after the index
covers it (building it costs O(days), once).
"""

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.worktime.calendar_text import (  # noqa: F401 - the calendar's public names, re-exported
    CalendarError,
    _l,
    check_periods,
    check_weekdays,
    format_periods,
    hm,
    parse_periods,
    parse_start,
    set_translator,
)

# The same seconds as core.timelimits.CONTINUOUS_SECONDS (tests/test_worktime.py checks), written out
# here because this module imports nothing of the project.
CONTINUOUS_SECONDS = {"urgent_hour": 3600, "hour": 3600, "urgent_day": 86400, "day": 86400}
# work_day as the "calendar_days" rule counts it; a Calendar's own `unit_seconds` follow its rule.
UNIT_SECONDS = {**CONTINUOUS_SECONDS, "work_hour": 3600, "work_day": 86400}
WORK_DAY_RULES = ("working_hours", "calendar_days")
DEFAULT_WORK_DAY_HOURS = 8
WORK_UNITS = ("work_hour", "work_day")
DAY_KINDS = ("holiday", "workday")  # public holiday, make-up working day
DEFAULT_PERIODS = ((8 * 3600, 12 * 3600), (14 * 3600, 18 * 3600))
DEFAULT_WEEKDAYS = (1, 2, 3, 4, 5)  # ISO: 1 = Monday … 7 = Sunday
MAX_INDEX_DAYS = 100 * 366  # deadlines more than ~100 years away are refused
_US = 1_000_000
DAY_US = 86_400 * _US


# --- the arithmetic ----------------------------------------------------------------------------------------


class _Clock:
    """A day's counting periods in microseconds: how much ran before a time of day, and back."""

    def __init__(self, periods_us):
        self.starts = [s for s, _ in periods_us]
        self.ends = [e for _, e in periods_us]
        self.cum = []  # counted before each period
        self.cum_end = []  # counted at the end of each period
        total = 0
        for s, e in periods_us:
            self.cum.append(total)
            total += e - s
            self.cum_end.append(total)
        self.total = total

    def before(self, t: int) -> int:
        """Counted time of a working day from 00:00 to t."""
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        return self.cum[k] + min(t, self.ends[k]) - self.starts[k]

    def at(self, x: int) -> int:
        """The earliest time of day by which x (0 < x <= total) has been counted: the end of a period
        rather than the start of the next."""
        k = bisect_left(self.cum_end, x)
        return self.starts[k] + x - self.cum[k]


def _split(dt: datetime) -> tuple[int, int]:
    return dt.toordinal(), ((dt.hour * 60 + dt.minute) * 60 + dt.second) * _US + dt.microsecond


def _join(ordinal: int, us: int) -> datetime:
    try:
        return datetime.fromordinal(ordinal) + timedelta(microseconds=us)
    except (OverflowError, ValueError):
        raise CalendarError(_l("The deadline falls outside the years the calendar can count.")) from None


def _continuous(start: datetime, need: int) -> datetime:
    try:
        return start + timedelta(microseconds=need)
    except OverflowError:
        raise CalendarError(_l("The deadline falls outside the years the calendar can count.")) from None


def amount_us(value, unit: str, unit_seconds=UNIT_SECONDS) -> int:
    """A limit's value in microseconds of its unit's clock, rounded to the whole second."""
    if unit not in unit_seconds:
        raise CalendarError(_l("Unknown time-limit unit %(unit)s.", unit=unit))
    if type(value) is int and value >= 0:
        return value * unit_seconds[unit] * _US
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise CalendarError(_l("The time limit %(value)s is not a number.", value=value)) from None
    if not number.is_finite() or number < 0:
        raise CalendarError(_l("The time limit %(value)s is not a positive number.", value=value))
    return int((number * unit_seconds[unit]).to_integral_value(ROUND_HALF_UP)) * _US


class Calendar:
    """One working-time calendar in memory. Build one by hand (tests, benchmarks) or get the
    installation's with `current_calendar()`. Thread-safe: the day index is replaced, never changed in place."""

    def __init__(
        self,
        periods=DEFAULT_PERIODS,
        weekdays=DEFAULT_WEEKDAYS,
        days=None,
        version=None,
        work_day_rule="working_hours",
        work_day_hours=DEFAULT_WORK_DAY_HOURS,
    ):
        """periods: (start, end) seconds of the day; weekdays: ISO numbers (1 = Monday); days: {date: kind}
        or {date: (kind, name)} with kind "holiday" or "workday"; work_day_rule: "working_hours" (a
        work_day is work_day_hours of working time) or "calendar_days" (a 24-hour working day)."""
        self.periods = tuple(check_periods(periods))
        if work_day_rule not in WORK_DAY_RULES:
            raise CalendarError(_l("Unknown working-day rule %(rule)s.", rule=work_day_rule))
        try:
            day_seconds = round(float(work_day_hours) * 3600)
        except (TypeError, ValueError):
            day_seconds = 0
        if not 0 < day_seconds <= 86400:
            raise CalendarError(_l("A working day has more than 0 and at most 24 hours."))
        self.work_day_rule = work_day_rule
        self.work_day_hours = day_seconds / 3600
        by_hours = work_day_rule == "working_hours"
        self.unit_seconds = {**UNIT_SECONDS, "work_day": day_seconds if by_hours else 86400}
        self.weekdays = check_weekdays(weekdays)
        self.version = version
        self.days: dict[date, tuple[str, str]] = {}
        for day, spec in (days or {}).items():
            kind, name = (spec, "") if isinstance(spec, str) else spec
            if kind not in DAY_KINDS:
                raise CalendarError(_l("Unknown kind of day %(kind)s.", kind=kind))
            self.days[day] = (kind, name)
        self._special = {day.toordinal(): kind == "workday" for day, (kind, _) in self.days.items()}
        self._mask = tuple((wd + 1) in self.weekdays for wd in range(7))  # by date.weekday()
        working = _Clock([(s * _US, e * _US) for s, e in self.periods])
        self._clocks = {"work_hour": working, "work_day": working if by_hours else _Clock([(0, DAY_US)])}
        self._index: tuple[int, list[int]] = (0, [])

    # --- days -----------------------------------------------------------------------------------------

    def _working(self, ordinal: int) -> bool:
        special = self._special.get(ordinal)
        return self._mask[(ordinal - 1) % 7] if special is None else special

    def is_working_day(self, day: date) -> bool:
        return self._working(day.toordinal())

    def _ensure(self, lo: int, hi: int) -> tuple[int, list[int]]:
        """The index (base, cum) with cum[i] = working days in [base, base + i), covering lo..hi."""
        base, cum = self._index
        if cum and base <= lo and hi < base + len(cum):
            return base, cum
        if cum and max(hi, base + len(cum)) - min(lo, base) <= MAX_INDEX_DAYS // 2:
            lo, hi = min(lo, base), max(hi, base + len(cum) - 1)
        lo, hi = max(1, lo - 366), min(date.max.toordinal(), hi + 2 * 366)
        if hi - lo > MAX_INDEX_DAYS or lo > hi:
            raise CalendarError(_l("The deadline falls outside the years the calendar can count."))
        built, running = [0], 0
        working = self._working
        for ordinal in range(lo, hi):
            running += working(ordinal)
            built.append(running)
        self._index = (lo, built)
        return lo, built

    def working_days(self, first: date, last: date) -> int:
        """Working days from first to last, both included."""
        a, b = first.toordinal(), last.toordinal() + 1
        if b <= a:
            return 0
        base, cum = self._ensure(a, b)
        return cum[b - base] - cum[a - base]

    def _nth_after(self, ordinal: int, n: int) -> int:
        """The n-th (n >= 1) working day after `ordinal`."""
        span = n * 7 // len(self.weekdays) + 30
        while True:
            if span > MAX_INDEX_DAYS:
                raise CalendarError(_l("The deadline falls outside the years the calendar can count."))
            base, cum = self._ensure(ordinal + 1, ordinal + span)
            target = cum[ordinal + 1 - base] + n
            if cum[-1] >= target:
                return base + bisect_left(cum, target, ordinal + 1 - base) - 1
            span *= 2

    # --- clocks ---------------------------------------------------------------------------------------

    def _advance(self, start: datetime, need: int, unit: str) -> datetime:
        if unit not in WORK_UNITS:
            return _continuous(start, need)
        if need <= 0:
            return start
        ck = self._clocks[unit]
        ordinal, t = _split(start)
        if self._working(ordinal):
            done = ck.before(t)
            if need <= ck.total - done:
                return _join(ordinal, ck.at(done + need))
            need -= ck.total - done
        full = (need - 1) // ck.total
        return _join(self._nth_after(ordinal, full + 1), ck.at(need - full * ck.total))

    def _counted(self, start: datetime, end: datetime, unit: str) -> int:
        """Microseconds of the unit's clock from start to end (negative when end < start)."""
        if unit not in WORK_UNITS:
            if unit not in self.unit_seconds:
                raise CalendarError(_l("Unknown time-limit unit %(unit)s.", unit=unit))
            delta = end - start
            return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds
        if end < start:
            return -self._counted(end, start, unit)
        ck = self._clocks[unit]
        o1, t1 = _split(start)
        o2, t2 = _split(end)
        base, cum = self._ensure(o1, o2)
        whole = (cum[o2 - base] - cum[o1 - base]) * ck.total
        return whole - (ck.before(t1) if self._working(o1) else 0) + (ck.before(t2) if self._working(o2) else 0)

    def due_at(self, start: datetime, value, unit: str) -> datetime:
        return self._advance(start, amount_us(value, unit, self.unit_seconds), unit)

    def advance(self, start: datetime, seconds: float, unit: str) -> datetime:
        """The instant at which `seconds` of the unit's clock have run since start."""
        return self._advance(start, round(seconds * _US), unit)

    def counted_seconds(self, start: datetime, end: datetime, unit: str) -> float:
        return self._counted(start, end, unit) / _US

    def first_counted(self, start: datetime, unit: str) -> datetime:
        """When the unit's clock starts running for a start at `start`."""
        if unit not in WORK_UNITS:
            return start
        ck = self._clocks[unit]
        ordinal, t = _split(start)
        if self._working(ordinal) and ck.before(t) < ck.total:
            k = bisect_right(ck.ends, t)
            return _join(ordinal, max(t, ck.starts[k]))
        return _join(self._nth_after(ordinal, 1), ck.starts[0])

    def due_after_pause(self, due: datetime, paused_from: datetime, paused_to: datetime, unit: str) -> datetime:
        return self._advance(due, max(self._counted(paused_from, paused_to, unit), 0), unit)

    def _used_and_total(self, start, due, now, unit, pauses) -> tuple[int, int]:
        used, total = self._counted(start, now, unit), self._counted(start, due, unit)
        for paused_from, paused_to in pauses:
            stop = now if paused_to is None else paused_to
            used -= max(0, self._counted(max(paused_from, start), min(stop, now), unit))
            if paused_to is not None:
                total -= max(0, self._counted(max(paused_from, start), min(paused_to, due), unit))
        return used, total

    def used_ratio(self, start, due, now, unit, pauses=()) -> float:
        used, total = self._used_and_total(start, due, now, unit, pauses)
        if total <= 0:
            return float("inf") if used > 0 else 1.0
        return used / total

    def light(self, start: datetime, due: datetime, now: datetime, unit: str, pauses=()) -> str:
        used, total = self._used_and_total(start, due, now, unit, pauses)
        if used > total:
            return "red"
        return "yellow" if used * 5 >= total * 4 else "green"
