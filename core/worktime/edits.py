"""Maintaining the working-time calendar: the edits (audited, each bumping the calendar's version so every
process reloads it) and the CSV import of special days, used by the pages (core.worktime.views) and
`flask calendar` (core.worktime.cli)."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, editing, settings
from core.db import db
from core.importing import decoding
from core.importing.decoding import ImportRefused
from core.worktime.calendar import CalendarError, check_periods, check_weekdays, format_periods
from core.worktime.deadlines import PERIODS_KEY, VERSION_KEY, WEEKDAYS_KEY, invalidate, stored_hours
from core.worktime.models import KINDS, CalendarDay

KIND_WORDS = {"holiday": "holiday", "休": "holiday", "假": "holiday", "workday": "workday", "班": "workday"}
MAX_CSV_BYTES = 1024 * 1024
YEARS = (1900, 2200)  # the years the pages and `flask calendar show` accept

# --- edits: every change audited, the version bumped -------------------------------------------------------------


def hours_snapshot() -> dict:
    periods, weekdays = stored_hours()
    return {"periods": format_periods(periods), "weekdays": list(weekdays)}


HOURS_VERSION_KEY = "worktime.hours_version"  # the hours form's version (core.editing.save_setting)


def hours_version() -> int:
    return int(settings.get(HOURS_VERSION_KEY, "0"))


def _bump():
    settings.put(VERSION_KEY, uuid.uuid4().hex)


def save_hours(periods, weekdays, version: int | None = None) -> bool:
    """Store the working periods and weekdays; False when nothing changed. With the `version` the form
    showed, a save over someone else's meanwhile raises editing.Stale."""
    periods, weekdays = check_periods(periods), check_weekdays(weekdays)
    with db.atomic():
        before = hours_snapshot()
        after = {"periods": format_periods(periods), "weekdays": list(weekdays)}
        if before == after:
            return False
        editing.save_setting(HOURS_VERSION_KEY, hours_version() if version is None else version)
        settings.put(PERIODS_KEY, format_periods(periods))
        settings.put(WEEKDAYS_KEY, ",".join(str(d) for d in weekdays))
        audit.record("calendar.hours", "calendar", "hours", after["periods"], before=before, after=after)
        _bump()
    invalidate()
    return True


def day_snapshot(row: CalendarDay) -> dict:
    return {"date": row.date.isoformat(), "kind": row.kind, "name": row.name}


def set_day(day: date, kind: str, name: str = "") -> str:
    """Add or change one special day: "created", "updated" or "unchanged"."""
    if kind not in KINDS:
        raise CalendarError(_l("Unknown kind of day %(kind)s.", kind=kind))
    name = (name or "").strip()
    with db.atomic():
        row = CalendarDay.get_or_none(CalendarDay.date == day)
        if row is not None and (row.kind, row.name) == (kind, name):
            return "unchanged"
        before = day_snapshot(row) if row else None
        row = row or CalendarDay(date=day)
        row.kind, row.name = kind, name
        row.save()
        action = "calendar.day.update" if before else "calendar.day.create"
        audit.record(action, "calendar_day", day.isoformat(), f"{day} {kind} {name}".strip(), before, day_snapshot(row))
        _bump()
    invalidate()
    return "updated" if before else "created"


def delete_day(day: date) -> bool:
    with db.atomic():
        row = CalendarDay.get_or_none(CalendarDay.date == day)
        if row is None:
            return False
        summary = f"{day} {row.kind} {row.name}".strip()
        audit.record("calendar.day.delete", "calendar_day", day.isoformat(), summary, before=day_snapshot(row))
        row.delete_instance()
        _bump()
    invalidate()
    return True


# --- CSV ----------------------------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass
class CsvRow:
    line: int
    day: date
    kind: str
    name: str


def decode(data: bytes) -> str:
    """The text of a calendar file (core.importing.decoding: UTF-8, UTF-16, GB 18030), at most 1 MB; else
    CalendarError with the decoder's message."""
    try:
        return decoding.decode_text(data, limit=MAX_CSV_BYTES)
    except ImportRefused as refused:
        raise CalendarError(str(refused)) from None


def read_csv(text: str) -> tuple[list[CsvRow], list[tuple[int, str]]]:
    """`date,kind,name` lines (kind holiday/workday or 休/班; # lines, blank lines and a header skipped)
    → (rows, [(line number, error)]). Line 0 is the file as a whole."""
    rows: list[CsvRow] = []
    errors: list[tuple[int, str]] = []
    first_line: dict[date, int] = {}
    try:
        records = list(decoding.read_csv(text))
    except ImportRefused as refused:
        return [], [(0, str(refused))]
    for at, cells in records:  # a quoted cell may span lines: `at` is where the record starts
        cells = [unicodedata.normalize("NFKC", cell).strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and not errors and cells[0].lower() == "date":
            continue
        if len(cells) < 2:
            errors.append((at, _("Expected date,kind,name.")))
            continue
        match = _DATE.match(cells[0])
        try:
            day = date(int(match[1]), int(match[2]), int(match[3])) if match else None
        except ValueError:
            day = None
        if day is None:
            errors.append((at, _("%(text)s is not a date (write 2026-10-01).", text=cells[0])))
            continue
        kind = KIND_WORDS.get(cells[1].lower())
        if kind is None:
            errors.append((at, _("Unknown kind %(text)s: use holiday, workday, 休 or 班.", text=cells[1])))
            continue
        name = ",".join(cells[2:]).strip()
        if len(name) > 60:
            errors.append((at, _("The name is longer than 60 characters.")))
            continue
        if day in first_line:
            errors.append((at, _("%(date)s is already on line %(line)d.", date=day.isoformat(), line=first_line[day])))
            continue
        first_line[day] = at
        rows.append(CsvRow(at, day, kind, name))
    if not rows and not errors:
        errors.append((0, _("The file holds no days.")))
    return rows, errors


def import_days(rows: list[CsvRow], replace: bool = False, source: str = "") -> dict:
    """Write the rows, adding or changing days; with `replace`, first remove the other special days of the
    years the rows cover. One transaction, one audit entry."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    years = sorted({row.day.year for row in rows})
    with db.atomic():
        existing = {r.date: r for r in CalendarDay.select()}
        if replace and years:
            listed = {row.day for row in rows}
            stale = [d for d in existing if d.year in years and d not in listed]
            if stale:
                counts["removed"] = CalendarDay.delete().where(CalendarDay.date.in_(stale)).execute()
        for row in rows:
            old = existing.get(row.day)
            if old is None:
                CalendarDay.create(date=row.day, kind=row.kind, name=row.name)
                counts["created"] += 1
            elif (old.kind, old.name) != (row.kind, row.name):
                old.kind, old.name = row.kind, row.name
                old.save()
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        summary = f"{source or 'CSV'}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        after = {"replace": replace, "years": years, "days": [f"{r.day} {r.kind} {r.name}".strip() for r in rows]}
        audit.record("calendar.import", "calendar", ",".join(map(str, years)), summary, after=after)
        _bump()
    invalidate()
    return counts
