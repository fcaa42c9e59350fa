"""Evaluation periods: `2026-10` (month), `2026-W44` (ISO week), `2026-Q3`, `2026` (year) and
`2026-10-01..2026-10-15` (custom, both days included). A period is [start, end) in local time."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

KINDS = {
    "week": _l("Week"),
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
    "custom": _l("Custom dates"),
}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str  # the canonical text: "2026-10", "2026-W44", "2026-Q3", "2026", "2026-10-01..2026-10-15"
    kind: str
    start: datetime
    end: datetime  # exclusive

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def label(self) -> str:
        return f"{self.key} ({dates(self.start, self.end)})"


def dates(start: datetime | str, end: datetime | str) -> str:
    """A period [start, end) as people read it, both days included: "2026-11-01 – 2026-11-30". Takes the
    datetimes or their text as a snapshot keeps them. Every page and file that shows a period's days uses it."""
    first, after = (datetime.fromisoformat(str(d)) for d in (start, end))
    return f"{first.date().isoformat()} – {(after - timedelta(days=1)).date().isoformat()}"


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse(text: str) -> Period:
    """The period a text names, or PeriodError saying what is accepted."""
    text = (text or "").strip().upper().replace(" ", "")
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})", text):
            first = date(int(m[1]), int(m[2]), int(m[3]))
            last = date(int(m[4]), int(m[5]), int(m[6]))
            if last < first:
                raise PeriodError(_l("The last day comes before the first."))
            if (last - first).days > 3660:
                raise PeriodError(_l("A custom period may span at most ten years."))
            key = f"{first.isoformat()}..{last.isoformat()}"
            return Period(key, "custom", _day(first), _day(last) + timedelta(days=1))
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text):
            year, week = int(m[1]), int(m[2])
            monday = date.fromisocalendar(year, week, 1)
            return Period(f"{year}-W{week:02d}", "week", _day(monday), _day(monday) + timedelta(days=7))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            start = _month_start(year, 3 * quarter - 2)
            return Period(f"{year}-Q{quarter}", "quarter", start, _month_start(year, 3 * quarter + 1))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise PeriodError(_l("There is no such month."))
            return Period(f"{year}-{month:02d}", "month", _month_start(year, month), _month_start(year, month + 1))
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return Period(str(year), "year", datetime(year, 1, 1), datetime(year + 1, 1, 1))
    except PeriodError:
        raise
    except ValueError as error:  # date() and fromisocalendar() out of range
        raise PeriodError(_l("There is no such date or week.")) from error
    raise PeriodError(
        _l("Write a period as 2026-10 (month), 2026-W44 (week), 2026-Q3, 2026 or 2026-10-01..2026-10-15.")
    )


def containing(kind: str, moment: datetime) -> Period:
    """The week, month, quarter or year that contains a moment."""
    d = moment.date()
    if kind == "week":
        year, week, _ = d.isocalendar()
        return parse(f"{year}-W{week}")
    if kind == "quarter":
        return parse(f"{d.year}-Q{(d.month - 1) // 3 + 1}")
    if kind == "year":
        return parse(str(d.year))
    return parse(f"{d.year}-{d.month:02d}")


def previous(kind: str, moment: datetime) -> Period:
    """The last complete week, month, quarter or year before a moment."""
    return containing(kind, containing(kind, moment).start - timedelta(seconds=1))
