"""The working-time calendar's pages: /admin/calendar (calendar.manage: the hours, the special days, the CSV
import) and, for calendar.view, the printable year view and the deadline explainer."""

from datetime import date

from babel.dates import get_day_names
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import clock, editing
from core.editing import EditForm
from core.parsing import ParseError, parse_int
from core.permissions import requires, unscoped
from core.timelimits import LimitError
from core.web import htmx, message, page
from core.worktime.calendar import CalendarError, format_periods, parse_periods, parse_start
from core.worktime.deadlines import current_calendar, explain
from core.worktime.edits import (
    MAX_CSV_BYTES,
    YEARS,
    decode,
    delete_day,
    hours_snapshot,
    hours_version,
    import_days,
    read_csv,
    save_hours,
    set_day,
)
from core.worktime.models import KINDS, CalendarDay

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
