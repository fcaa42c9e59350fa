"""Seasons of a time limit ("种植季节15工作日": 15 working days, counted in the planting season).

A season is a list of month-day ranges, both ends included ("03-01..04-30"; a range may run over the new year,
"11-15..02-15"). A start inside a range is counted as usual; a start outside waits for the next range to
open: the clock starts in the first working period of the first working day from that opening day on
(14 December → 1 March 08:00 with the default calendar). Once started, the clock runs until the due time,
even past the season's end: the season only decides when counting may begin.

Pure, like core.worktime.calendar: the ranges are plain data (core.worktime.deadlines reads them from the
configuration, `PLANTING_SEASONS`).
"""

import re
from datetime import date, datetime

from core.worktime.calendar_text import CalendarError, _l

DEFAULT_PLANTING_SEASONS = ("03-01..04-30", "10-01..11-30")
_RANGE = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*(?:\.\.|–|~|至)\s*(\d{1,2})-(\d{1,2})\s*$")


def parse_seasons(ranges) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """ "03-01..04-30" texts (or ((3, 1), (4, 30)) pairs) → checked ((month, day), (month, day)) ranges."""
    if isinstance(ranges, str):
        ranges = [part for part in re.split(r"[,;，；]+", ranges) if part.strip()]
    parsed = []
    for item in ranges:
        if isinstance(item, str):
            match = _RANGE.match(item)
            if match is None:
                raise CalendarError(_l("Cannot read the season %(text)s: write it as 03-01..04-30.", text=item))
            first, last = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
        else:
            first, last = (tuple(int(x) for x in end) for end in item)
        for month, day in (first, last):
            try:
                date(2000, month, day)  # a leap year: 02-29 is a day
            except ValueError:
                raise CalendarError(_l("The season %(text)s names a day that does not exist.", text=item)) from None
        parsed.append((first, last))
    if not parsed:
        raise CalendarError(_l("Give at least one season, such as 03-01..04-30."))
    return tuple(parsed)


def _in(day: date, first: tuple[int, int], last: tuple[int, int]) -> bool:
    key = (day.month, day.day)
    return first <= key <= last if first <= last else key >= first or key <= last


def in_season(day: date, seasons) -> bool:
    return any(_in(day, first, last) for first, last in seasons)


def _opening(year: int, first: tuple[int, int]) -> date:
    try:
        return date(year, *first)
    except ValueError:  # 02-29 in a common year
        return date(year, 3, 1)


def next_opening(day: date, seasons) -> date:
    """The first day on or after `day` inside a season."""
    if in_season(day, seasons):
        return day
    return min(
        opening
        for first, _last in seasons
        for opening in (_opening(day.year, first), _opening(day.year + 1, first))
        if opening > day
    )


def clock_start(calendar, start: datetime, seasons) -> datetime:
    """When a seasonal limit's clock starts for a case starting at `start`: `start` inside a season, else the
    first working period of the first working day from the next opening on."""
    if in_season(start.date(), seasons):
        return start
    opening = next_opening(start.date(), seasons)
    return calendar.first_counted(datetime.combine(opening, datetime.min.time()), "work_hour")
