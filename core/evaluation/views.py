"""The evaluator's pages: figures of any period and level with drill-down, deductions, snapshots
(publish, republish, compare), score settings, Excel exports."""

import json
from datetime import date
from urllib.parse import quote_plus

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from peewee import IntegrityError
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from core import audit, clock, photos
from core.attachments.service import attach, first_attachments
from core.evaluation import exports, objects, periods, scores, snapshots
from core.evaluation.indicators import INDICATORS, LEVELS, drill, is_rate
from core.evaluation.models import DEDUCTION, Deduction, Snapshot, SnapshotVersion
from core.exports.views import respond
from core.parsing import ParseError, parse_id, parse_json
from core.permissions import requires, unscoped
from core.web import htmx, message, page
from core.workorders.models import WorkOrder
from core.workorders.states import STATUSES

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
DRILL_LIMIT = 500


def _period():
    text = request.args.get("period") or periods.previous("month", clock.now()).key
    try:
        return periods.parse(text), None
    except periods.PeriodError as error:
        return periods.previous("month", clock.now()), str(error)


def _level():
    level = request.args.get("level", "department")
    return level if level in LEVELS else "department"


def drill_urls(period_key: str, level: str):
    """(key, code) → url_for("evaluation.drill_down", period=period_key, level=level, key=key, code=code),
    the same text without building each through the URL map: a unit-grid table with every figure has
    thousands of links, and url_for was most of its time."""
    base = url_for("evaluation.drill_down", period=period_key, level=level)
    quoted: dict[str, str] = {}  # keys and codes repeat down and across the table

    def q(value) -> str:
        text = str(value)
        if text not in quoted:
            quoted[text] = quote_plus(text)
        return quoted[text]

    return lambda key, code: f"{base}&key={q(key)}&code={q(code)}"


def _helpers():
    every_figure = request.args.get("figures") == "all"

    def figures_url(every: bool) -> str:
        args = {**request.view_args, **request.args.to_dict(), "figures": "all" if every else None}
        return url_for(request.endpoint, **args)

    return {
        "INDICATORS": INDICATORS, "LEVELS": LEVELS, "is_rate": is_rate, "cell": exports.cell,
        "formula_of": scores.formula_of, "row_formula": scores.row_formula, "every_figure": every_figure, "figures_url": figures_url, "drill_urls": drill_urls,
    }  # fmt: skip


@bp.route("/")
@requires("evaluation.view")
def index():
    period, error = _period()
    level = _level()
    result = snapshots.table(level, period)
    return page(
        "evaluation/index.html",
        period=period,
        level=level,
        table=result,
        error=error,
        live=True,
        **_helpers(),
    )


@bp.route("/export.xlsx")
@requires("evaluation.view")
def export():
    period, error = _period()
    if error:
        return message(error, 422)
    level = _level()
    params = {"period": period.key, "level": level}
    return respond("evaluation", params, f"evaluation-{level}-{period.key}")


@bp.route("/drill")
@requires("evaluation.view")
def drill_down():
    period, error = _period()
    level, key, code = _level(), request.args.get("key", ""), request.args.get("code", "")
    part = "denominator" if request.args.get("part") == "denominator" else "numerator"
    if error or code not in INDICATORS or not key:
        return message(error or _("Choose a figure to see the cases behind it."), 422)
    if level not in snapshots.AREA_LEVELS_AND_CITY and parse_id(key) is None:
        abort(404)
    ids = drill(level, key, code, period.start, min(period.end, clock.now()), part)  # as snapshots.table
    orders = list(
        WorkOrder.select(WorkOrder.id, WorkOrder.number, WorkOrder.status, WorkOrder.reported_at)
        .where(WorkOrder.id.in_(ids[:DRILL_LIMIT]))
        .order_by(WorkOrder.id)
    )
    names = snapshots.names(level, [key])
    spec = INDICATORS[code]
    return page(
        "evaluation/drill.html",
        period=period,
        level=level,
        key=key,
        name=names.get(key, key),
        spec=spec,
        part=part,
        total=len(ids),
        orders=orders,
        limit=DRILL_LIMIT,
        statuses=STATUSES,
        **_helpers(),
    )


# --- deductions ----------------------------------------------------------------------------------


class DeductionForm(FlaskForm):
    level = SelectField(
        _l("Level"), choices=[SelectChoice(k, v) for k, v in LEVELS.items()], validators=[InputRequired()]
    )
    object_q = StringField(_l("Object"), validators=[Length(max=100)])  # a name or code typed to search
    object_key = StringField(validators=[Length(max=20)])  # what the picker posts
    day = DateField(_l("Day"), validators=[InputRequired()])
    points = DecimalField(_l("Points"), places=2, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
    photo = FileField(_l("Evidence photo (optional)"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])


@bp.route("/deductions", methods=["GET", "POST"])
@requires("evaluation.view")
def deductions():
    form = DeductionForm(
        level=request.args.get("level"),
        object_key=request.args.get("key"),
        object_q=request.args.get("object_q"),
        day=clock.now().date(),
    )
    status = 200
    if request.method == "POST":
        if not current_user.can("evaluation.deduct"):
            abort(403)
        if form.validate_on_submit():
            level = form.level.data
            key, name, problem = objects.resolve(level, form.object_key.data, form.object_q.data)
            if problem:
                form.object_q.errors.append(problem)
            photo = None
            upload = request.files.get("photo")
            if upload and upload.filename and not problem:
                try:
                    photo = photos.store(upload.stream, upload.filename, current_user)
                except photos.PhotoError as error:
                    form.photo.errors.append(str(error))
            if not form.errors and not problem and not form.photo.errors:
                row = Deduction.create(
                    level=level, object_key=key, object_name=name, day=form.day.data, points=form.points.data,
                    reason=form.reason.data.strip(), author=current_user.id,
                )  # fmt: skip
                if photo is not None:
                    attach(DEDUCTION, row.id, photo, by=current_user)
                audit.record(
                    "evaluation.deduct", "deduction", row.id, f"{name} −{form.points.data}",
                    after={"level": level, "object": key, "day": str(form.day.data), "points": str(form.points.data),
                           "reason": row.reason, "photo": photo.id if photo else None},
                )  # fmt: skip
                return redirect(url_for("evaluation.deductions"))
        status = 422
    rows = list(Deduction.select().order_by(Deduction.day.desc(), Deduction.id.desc()).limit(200))
    evidence = first_attachments(DEDUCTION, [row.id for row in rows])
    return page(
        "evaluation/deductions.html",
        form=form,
        rows=rows,
        withdraw=WithdrawForm(),
        evidence=evidence,
        status=status,
        choices=_object_choices(form),
        **_helpers(),
    )


def _object_choices(form) -> list[tuple[str, str]]:
    """The objects the picker offers: those matching what was typed, or the one a figure's link names."""
    level = form.level.data if form.level.data in LEVELS else "department"
    key = (form.object_key.data or "").strip()
    if key and not form.object_q.data:
        _key, name, problem = objects.resolve(level, key, "")
        return [] if problem else [(key, name)]
    return objects.search(level, form.object_q.data) if form.object_q.data else []


@bp.route("/deductions/objects")
@requires("evaluation.deduct")
def deduction_objects():
    """The picker's choices for what is typed: the #object-choices fragment (htmx), else the whole form."""
    if not (htmx and htmx.target == "object-choices"):
        return redirect(url_for("evaluation.deductions", **request.args))
    level = request.args.get("level") if request.args.get("level") in LEVELS else "department"
    found = objects.search(level, request.args.get("object_q", ""))
    return page("evaluation/_object_choices.html", choices=found, chosen=request.args.get("object_key", ""))


@bp.route("/deductions/<int:deduction_id>/withdraw", methods=["POST"])
@requires("evaluation.deduct")
@unscoped
def withdraw(deduction_id):
    row = Deduction.get_or_none(Deduction.id == deduction_id)
    if row is None:
        abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return message(_("Say why the deduction is withdrawn."), 422)
    if row.withdrawn_at is None:
        Deduction.update(
            withdrawn_at=clock.now(), withdrawn_by=current_user.id, withdraw_reason=form.reason.data.strip()
        ).where((Deduction.id == row.id) & Deduction.withdrawn_at.is_null()).execute()
        audit.record(
            "evaluation.withdraw", "deduction", row.id, row.object_name, after={"reason": form.reason.data.strip()}
        )
    return redirect(url_for("evaluation.deductions"))


# --- snapshots -----------------------------------------------------------------------------------


class PeriodForm(FlaskForm):
    period = StringField(_l("Period"), validators=[InputRequired(), Length(max=24)])


class PublishForm(FlaskForm):
    note = TextAreaField(
        _l("Why it is republished (required when replacing a published version)"), validators=[Length(max=2000)]
    )


@bp.route("/snapshots", methods=["GET", "POST"])
@requires("evaluation.view")
def snapshot_list():
    form = PeriodForm()
    status = 200
    if request.method == "POST":
        if not current_user.can("evaluation.publish"):
            abort(403)
        if form.validate_on_submit():
            try:
                period = periods.parse(form.period.data)
            except periods.PeriodError as error:
                form.period.errors.append(str(error))
            else:
                try:
                    version = snapshots.prepare(period)
                except IntegrityError:  # the job or another evaluator made this draft at the same moment
                    return message(_("This period's draft was being computed by someone else; reload the list."), 409)
                return redirect(url_for("evaluation.version", version_id=version.id))
        status = 422
    rows = []
    for snap in Snapshot.select().order_by(Snapshot.period.desc()):
        versions = list(snap.versions.order_by(SnapshotVersion.number))
        rows.append((snap, versions))
    return page("evaluation/snapshots.html", form=form, rows=rows, status=status)


@bp.route("/versions/<int:version_id>")
@requires("evaluation.view")
@unscoped
def version(version_id):
    row = SnapshotVersion.get_or_none(SnapshotVersion.id == version_id)
    if row is None:
        abort(404)
    level = _level()
    data = row.data
    others = list(row.snapshot.versions.where(SnapshotVersion.id != row.id).order_by(SnapshotVersion.number))
    return page(
        "evaluation/version.html",
        version=row,
        data=data,
        level=level,
        table=data["levels"][level],
        period=periods.parse(data["period"]),
        form=PublishForm(),
        others=others,
        live=False,
        **_helpers(),
    )


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@requires("evaluation.publish")
@unscoped
def publish(version_id):
    form = PublishForm()
    if not form.validate_on_submit():
        return message(_("The form has expired; reload the page and try again."), 422)
    try:
        row = snapshots.publish(version_id, current_user.id, form.note.data or "")
    except snapshots.SnapshotError as error:
        return message(str(error), 409)
    return redirect(url_for("evaluation.version", version_id=row.id))


@bp.route("/snapshots/<int:snapshot_id>/recompute", methods=["POST"])
@requires("evaluation.publish")
@unscoped
def recompute(snapshot_id):
    snap = Snapshot.get_or_none(Snapshot.id == snapshot_id)
    if snap is None:
        abort(404)
    if not PublishForm().validate_on_submit():
        return message(_("The form has expired; reload the page and try again."), 422)
    try:
        row = snapshots.prepare(periods.parse(snap.period))
    except IntegrityError:
        return message(_("This period's draft was being computed by someone else; reload the list."), 409)
    return redirect(url_for("evaluation.version", version_id=row.id))


@bp.route("/versions/<int:version_id>/diff/<int:other_id>")
@requires("evaluation.view")
@unscoped
def diff(version_id, other_id):
    new = SnapshotVersion.get_or_none(SnapshotVersion.id == version_id)
    old = SnapshotVersion.get_or_none(SnapshotVersion.id == other_id)
    if new is None or old is None or new.snapshot_id != old.snapshot_id:
        abort(404)
    changes = snapshots.diff(old.data, new.data)
    return page("evaluation/diff.html", new=new, old=old, changes=changes, **_helpers())


@bp.route("/versions/<int:version_id>/export.xlsx")
@requires("evaluation.view")
@unscoped
def version_export(version_id):
    row = SnapshotVersion.get_or_none(SnapshotVersion.id == version_id)
    if row is None:
        abort(404)
    return respond("evaluation_version", {"version": row.id}, f"evaluation-{row.data['period']}-v{row.number}")


# --- score settings ------------------------------------------------------------------------------


class ScoringForm(FlaskForm):
    config = TextAreaField(_l("Weights, bands and grades (JSON)"), validators=[InputRequired()])


@bp.route("/scoring", methods=["GET", "POST"])
@requires("evaluation.view")
def scoring():
    current = scores.config()
    form = ScoringForm(config=json.dumps(current, ensure_ascii=False, indent=2))
    errors, status = [], 200
    if request.method == "POST":
        if not current_user.can("evaluation.configure"):
            abort(403)
        if form.validate_on_submit():
            try:
                new = parse_json(form.config.data, max_depth=8)
                grades = new["grades"]
                for level, spec in new["levels"].items():
                    if level not in LEVELS:
                        errors.append(_("Unknown level: %(level)s.", level=level))
                        continue
                    errors += scores.validate(level, spec["components"], spec["band"], grades)
            except ParseError as error:
                errors.append(str(error))
            except (ValueError, KeyError, TypeError, AttributeError):
                errors.append(_("This is not a valid configuration: keep the shape shown."))
            if not errors:
                scores.save(new)
                audit.record("evaluation.configure", "setting", scores.KEY, "", before=current, after=scores.config())
                return redirect(url_for("evaluation.scoring"))
        status = 422
    formulas = {level: scores.formula_text(level, current) for level in LEVELS}
    return page("evaluation/scoring.html", form=form, errors=errors, formulas=formulas, status=status, **_helpers())


@bp.app_template_filter("period_dates")
def period_dates(start, end):
    """{{ data.start|period_dates(data.end) }}: the period's first and last day (its end is exclusive)."""
    return periods.dates(start, end)


@bp.app_template_filter("pct")
def pct(value):
    return "—" if value is None else f"{value * 100:.2f}%"


def today() -> date:
    return clock.now().date()
