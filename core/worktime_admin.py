"""Maintaining the working-time calendar (core.worktime): the edits (audited, each bumping the calendar's
version so every process reloads it), the CSV import, `flask calendar ...`, and the pages:
/admin/calendar (calendar.manage) and the printable year view with the deadline explainer (calendar.view)."""

import csv
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date

import click
from babel.dates import get_day_names
from flask import Blueprint, flash, redirect, request, url_for
from flask.cli import AppGroup
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import audit, clock, editing, settings
from core.db import db
from core.editing import EditForm
from core.parsing import ParseError, parse_int
from core.permissions import requires, unscoped
from core.timelimits import LimitError, parse_limit
from core.web import htmx, message, page
from core.worktime import (
    KINDS,
    PERIODS_KEY,
    VERSION_KEY,
    WEEKDAYS_KEY,
    CalendarDay,
    CalendarError,
    check_periods,
    check_weekdays,
    current_calendar,
    explain,
    format_periods,
    invalidate,
    load,
    parse_periods,
    parse_start,
    stored_hours,
)

KIND_WORDS = {"holiday": "holiday", "休": "holiday", "假": "holiday", "workday": "workday", "班": "workday"}
MAX_CSV_BYTES = 1024 * 1024
YEARS = (1900, 2200)

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
    """UTF-8 (with or without BOM), else GB 18030 (what Excel in Chinese saves)."""
    if len(data) > MAX_CSV_BYTES:
        raise CalendarError(_l("The file is larger than 1 MB: that is not a calendar."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise CalendarError(_l("The file is not text in UTF-8 or GB 18030.")) from None


def read_csv(text: str) -> tuple[list[CsvRow], list[tuple[int, str]]]:
    """`date,kind,name` lines (kind holiday/workday or 休/班; # lines, blank lines and a header skipped)
    → (rows, [(line number, error)]). Line 0 is the file as a whole."""
    rows: list[CsvRow] = []
    errors: list[tuple[int, str]] = []
    first_line: dict[date, int] = {}
    reader = csv.reader(io.StringIO(text))
    line = 0
    for cells in reader:
        at, line = line + 1, reader.line_num  # a quoted cell may span lines: report where the record starts
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


# --- `flask calendar ...` -------------------------------------------------------------------------------------------

calendar_cli = AppGroup("calendar", help="The working-time calendar: explain a deadline, import and list special days.")


@calendar_cli.command("due", help='Print the due time of a limit: --start "2026-11-27 17:30" --limit 4工作时.')
@click.option("--start", help="Start time, YYYY-MM-DD HH:MM (default: now).")
@click.option("--limit", "limit", required=True, help="A time limit as filing standards write it: 4工作时, 3工作日.")
@click.option("--explain", "verbose", is_flag=True, help="Also print a one-line explanation.")
def due_command(start, limit, verbose):
    try:
        moment = parse_start(start) if start is not None else clock.now()
    except CalendarError as error:
        raise click.BadParameter(str(error), param_hint="--start") from None
    try:
        parsed = parse_limit(limit)
    except LimitError as error:
        raise click.BadParameter(str(error), param_hint="--limit") from None
    with db.connection_context():
        try:
            result = explain(moment, parsed)
        except CalendarError as error:
            raise click.UsageError(str(error)) from None
        click.echo(result.due.isoformat(timespec="seconds"))
        if verbose:
            click.echo(result.text)


@calendar_cli.command("import", help="Import special days from CSV: date,kind,name (kind holiday/workday or 休/班).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="First remove the other special days of the years in the file.")
def import_command(path, replace):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        rows, errors = read_csv(decode(data))
    except CalendarError as error:
        raise click.ClickException(str(error)) from None
    if errors:
        for line, text in errors:
            click.echo(f"{path}:{line}: {text}", err=True)
        raise click.ClickException(f"{len(errors)} bad line(s); nothing was imported")
    with db.connection_context():
        counts = import_days(rows, replace=replace, source=path)
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@calendar_cli.command("show", help="List the working hours and the special days of a year.")
@click.argument("year", type=click.IntRange(*YEARS))
def show_command(year):
    with db.connection_context():
        cal = load()
    click.echo(f"working periods: {format_periods(cal.periods)}")
    click.echo(f"working weekdays: {', '.join(date(2024, 1, d).strftime('%a') for d in cal.weekdays)}")
    days = sorted((d, spec) for d, spec in cal.days.items() if d.year == year)
    for day, (kind, name) in days:
        click.echo(f"{day.isoformat()}  {day:%a}  {kind:<8} {name}".rstrip())
    if not days:
        click.echo(f"no special days in {year}")


# --- pages --------------------------------------------------------------------------------------------------------

bp = Blueprint("worktime", __name__)


def weekday_names(width="wide") -> list[str]:
    """Monday first, in the user's language."""
    names = get_day_names(width, locale=get_locale())
    return [names[i] for i in range(7)]


class HoursForm(EditForm):
    periods = StringField(_l("Working periods"), validators=[DataRequired()])
    weekdays = SelectMultipleField(_l("Working weekdays"), coerce=int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekdays.choices = [SelectChoice(i + 1, name) for i, name in enumerate(weekday_names())]
        self.parsed: list[tuple[int, int]] = []

    def validate_periods(self, field):
        try:
            self.parsed = parse_periods(field.data)
        except CalendarError as error:
            raise ValidationError(str(error)) from None

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one working weekday."))
        if any(not 1 <= d <= 7 for d in field.data):
            raise ValidationError(_l("Weekdays are numbered 1 (Monday) to 7 (Sunday)."))


class DayForm(FlaskForm):
    date = DateField(_l("Date"), validators=[DataRequired(message=_l("Give a date such as 2026-10-01."))])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KINDS.items()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])
    replace = BooleanField(_l("Replace the other special days of the years in the file"))


class BadYear(Exception):
    pass


def _year() -> int:
    raw = request.values.get("year", "").strip()
    if not raw:
        return clock.now().year
    try:
        return parse_int(raw, min=YEARS[0], max=YEARS[1])
    except ParseError:
        raise BadYear from None


def _bad_year():
    return message(_("The year must be a number from %(low)d to %(high)d.", low=YEARS[0], high=YEARS[1]), 400)


def _days_context(year: int, day_form=None, note=""):
    return {
        "year": year,
        "days": list(
            CalendarDay.select()
            .where(CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.date)
        ),  # fmt: skip
        "kinds": KINDS,
        "day_form": day_form or DayForm(formdata=None),
        "note": note,
        "weekday": lambda d: format_date(d, "EEE"),
    }


def _manage_context(year: int, hours_form=None, day_form=None, import_form=None, import_errors=()):
    if hours_form is None:
        snapshot = hours_snapshot()
        hours_form = HoursForm(formdata=None, data={"periods": snapshot["periods"], "weekdays": snapshot["weekdays"]})
        hours_form.show(hours_version())
    return {
        **_days_context(year, day_form),
        **_explain_context(),
        "hours_form": hours_form,
        "import_form": import_form or ImportForm(formdata=None),
        "import_errors": import_errors,
    }


@bp.route("/admin/calendar")
@requires("calendar.manage")
def manage():
    try:
        year = _year()
    except BadYear:
        return _bad_year()
    return page("worktime/manage.html", "worktime/_days.html", "calendar-days", **_manage_context(year))


@bp.route("/admin/calendar/hours", methods=["POST"])
@requires("calendar.manage")
def hours():
    form = HoursForm()
    status = 422
    if form.validate_on_submit():
        try:
            saved = save_hours(form.parsed, form.weekdays.data, form.seen_version)
        except editing.Stale:
            form.refuse("calendar", "hours", hours_version())
            status = 409
        else:
            if saved:
                flash(_("Working hours saved. Deadlines computed from now on use them."), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("worktime.manage"))
    return page("worktime/manage.html", status=status, **_manage_context(clock.now().year, hours_form=form))


@bp.route("/admin/calendar/days", methods=["POST"])
@requires("calendar.manage")
def day_add():
    form = DayForm()
    if form.validate_on_submit():
        day = form.date.data
        outcome = set_day(day, form.kind.data, form.name.data or "")
        note = {
            "created": _("%(date)s added.", date=day.isoformat()),
            "updated": _("%(date)s changed.", date=day.isoformat()),
            "unchanged": _("%(date)s was already listed like this; nothing changed.", date=day.isoformat()),
        }[outcome]
        if not htmx:
            flash(note, "success")
            return redirect(url_for("worktime.manage", year=day.year))
        return page("worktime/_days.html", **_days_context(day.year, note=note))
    try:
        year = _year()
    except BadYear:
        year = clock.now().year
    if htmx:
        return page("worktime/_days.html", status=422, **_days_context(year, day_form=form))
    return page("worktime/manage.html", status=422, **_manage_context(year, day_form=form))


@bp.route("/admin/calendar/days/<int:day_id>/delete", methods=["POST"])
@requires("calendar.manage")
@unscoped
def day_delete(day_id):
    row = CalendarDay.get_or_none(CalendarDay.id == day_id)
    if row is None:
        return message(_("There is no such special day; perhaps someone deleted it already."), 404)
    delete_day(row.date)
    note = _("%(date)s deleted.", date=row.date.isoformat())
    if htmx:
        return page("worktime/_days.html", **_days_context(row.date.year, note=note))
    flash(note, "success")
    return redirect(url_for("worktime.manage", year=row.date.year))


@bp.route("/admin/calendar/import", methods=["POST"])
@requires("calendar.manage")
def import_csv():
    form = ImportForm()
    errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows, errors = read_csv(decode(upload.read(MAX_CSV_BYTES + 1)))
        except CalendarError as error:
            rows, errors = [], [(0, str(error))]
        if not errors:
            counts = import_days(rows, replace=form.replace.data, source=upload.filename or "CSV")
            flash(
                _(
                    "Imported %(n)d days: %(created)d added, %(updated)d changed, %(removed)d removed.",
                    n=len(rows),
                    created=counts["created"],
                    updated=counts["updated"],
                    removed=counts["removed"],
                ),
                "success",
            )
            return redirect(url_for("worktime.manage", year=rows[0].day.year))
    context = _manage_context(clock.now().year, import_form=form, import_errors=errors)
    return page("worktime/manage.html", status=422, **context)


def _explain_context(start="", limit=""):
    return {"start": start or clock.now().strftime("%Y-%m-%dT%H:%M"), "limit": limit, "result": None, "error": ""}


@bp.route("/calendar/explain")
@requires("calendar.view")
def explain_deadline():
    start, limit = request.args.get("start", "").strip(), request.args.get("limit", "").strip()
    context = _explain_context(start, limit)
    if limit or start:  # a bare visit shows the empty form
        try:
            moment = parse_start(start) if start else clock.now()
            context["result"] = explain(moment, limit)
        except (CalendarError, LimitError) as error:
            context["error"] = str(error)
    status = 422 if context["error"] else 200
    return page("worktime/explain.html", "worktime/_explain.html", "explain-result", status=status, **context)


def year_grid(cal, year: int) -> list[dict]:
    """Twelve months of weeks (Monday first) of cells {day, kind, title}; None pads the weeks."""
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        length = ((date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - first).days
        cells: list[dict | None] = [None] * first.weekday()
        for number in range(1, length + 1):
            day = date(year, month, number)
            kind, name = cal.days.get(day, ("", ""))
            if not kind:
                kind = "" if cal.is_working_day(day) else "off"
            cells.append({"day": day, "kind": kind, "title": name})
        cells += [None] * (-len(cells) % 7)
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        months.append({"title": format_date(first, "MMMM"), "weeks": weeks})
    return months


def special_runs(cal, year: int) -> list[tuple[date, date, str, str]]:
    """The special days of a year as runs of consecutive days of one kind and name: (first, last, kind, name)."""
    runs: list[tuple[date, date, str, str]] = []
    for day, (kind, name) in sorted((d, spec) for d, spec in cal.days.items() if d.year == year):
        if runs and runs[-1][2:] == (kind, name) and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day, kind, name)
        else:
            runs.append((day, day, kind, name))
    return runs


@bp.route("/calendar")
@requires("calendar.view")
def year():
    try:
        year = _year()
    except BadYear:
        return _bad_year()
    cal = current_calendar()
    return page(
        "worktime/year.html",
        year=year,
        months=year_grid(cal, year),
        heads=weekday_names("narrow"),
        periods=format_periods(cal.periods),
        weekdays="、".join(weekday_names("abbreviated")[d - 1] for d in cal.weekdays),
        specials=special_runs(cal, year),
        kinds=KINDS,
        weekday=lambda d: format_date(d, "EEE"),
        **_explain_context(),
    )
