"""The calendar's texts: its error messages (translated when shown) and the reading and writing of working
periods, weekdays and start times. Part of core.worktime.calendar's pure arithmetic: no Flask, no database,
nothing else of the project."""

import re
import unicodedata
from datetime import datetime

# --- messages: translated when shown -------------------------------------------------------------------------


def _untranslated(msgid: str, /, **params) -> str:
    return msgid % params if params else msgid


_translator = {"gettext": _untranslated}


def set_translator(gettext) -> None:
    """Have the messages of CalendarError shown through `gettext(text, **params)` (flask_babel.gettext,
    which core.worktime.deadlines installs); until then they are shown in English."""
    _translator["gettext"] = gettext


class _Message:
    """A message marked for extraction (pybabel's `-k _l`) and translated each time it is shown."""

    def __init__(self, msgid: str, params: dict):
        self.msgid, self.params = msgid, params

    def __str__(self) -> str:
        return _translator["gettext"](self.msgid, **self.params)


def _l(msgid: str, /, **params) -> _Message:
    return _Message(msgid, params)


class CalendarError(ValueError):
    """Bad calendar data or an impossible deadline; str() says why, in the user's language."""


# --- periods and weekdays as text ------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2}):(\d{2})$")


def _clock_seconds(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 3600 + m * 60


def hm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def format_periods(periods) -> str:
    return ", ".join(f"{hm(s)}-{hm(e)}" for s, e in periods)


def check_periods(periods) -> list[tuple[int, int]]:
    """Sorted (start, end) seconds of the day; raises CalendarError unless each lies within the day,
    starts before it ends and none overlap (touching is allowed)."""
    periods = sorted((int(s), int(e)) for s, e in periods)
    if not periods:
        raise CalendarError(_l("Give at least one working period, such as 08:00-12:00."))
    for s, e in periods:
        if not 0 <= s < e <= 86400:
            raise CalendarError(
                _l("The period %(period)s must start before it ends, within one day.", period=format_periods([(s, e)]))
            )
    for (s1, e1), (s2, e2) in zip(periods, periods[1:], strict=False):
        if s2 < e1:
            raise CalendarError(
                _l(
                    "The periods %(first)s and %(second)s overlap.",
                    first=format_periods([(s1, e1)]),
                    second=format_periods([(s2, e2)]),
                )
            )
    return periods


def parse_periods(text: str) -> list[tuple[int, int]]:
    """ "08:00-12:00, 14:00-18:00" (also full-width, 、；and new lines, – ~ 至 between) → checked periods."""
    cleaned = unicodedata.normalize("NFKC", text or "")
    periods = []
    for part in re.split(r"[,;、，；\n]+", cleaned):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD.match(part)
        start = match and _clock_seconds(match[1], match[2])
        end = match and _clock_seconds(match[3], match[4])
        if start is None or end is None:
            raise CalendarError(_l("Cannot read the period %(text)s: write it as 08:00-12:00.", text=part))
        periods.append((start, end))
    return check_periods(periods)


def check_weekdays(weekdays) -> tuple[int, ...]:
    days = tuple(sorted({int(d) for d in weekdays}))
    if not days:
        raise CalendarError(_l("Choose at least one working weekday."))
    if days[0] < 1 or days[-1] > 7:
        raise CalendarError(_l("Weekdays are numbered 1 (Monday) to 7 (Sunday)."))
    return days


def parse_start(text: str) -> datetime:
    """ "2026-11-27 17:30" (or with T, seconds, or a bare date) → a naive datetime; CalendarError if not."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise CalendarError(
            _l("Cannot read the start time %(text)s: write it as 2026-11-27 17:30.", text=text or "")
        ) from None
    if value.tzinfo is not None:
        raise CalendarError(_l("Give the start time in local time, without a time zone."))
    return value
