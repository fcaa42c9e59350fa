"""The public page (no login): the latest published monthly ranking of areas and departments and the
monthly bulletin (通报), print-friendly and exportable to Excel, and the archive of every published period
(`/public/<period>`, chosen from a list). Only published snapshot versions are
read, and only their area and department tables and the city bulletin: no person, caller or collector
ever appears here (collectors', operators', shift leaders' and dispatchers' rankings are internal)."""

from flask import Blueprint, abort, redirect, request, url_for

from core.evaluation import exports, periods, scores, snapshots
from core.evaluation.indicators import INDICATORS, LEVELS, PUBLIC_LEVELS, is_rate
from core.evaluation.models import Snapshot, SnapshotVersion
from core.evaluation.rules import CASE_ON_TIME_TEXT
from core.permissions import public, unscoped
from core.web import page
from core.workorders.models import SOURCES
from core.xlsx import send_workbook

public_bp = Blueprint("evaluation_public", __name__, url_prefix="/public")

FIGURE_LABELS = {
    "reported": INDICATORS["reported"].label,
    "filed": INDICATORS["filed"].label,
    "dispatched": INDICATORS["dispatched"].label,
    "handled": INDICATORS["handled_in_period"].label,
    "closed": INDICATORS["closed_in_period"].label,
    "due_to_handle": INDICATORS["due_to_handle"].label,
    "handled_on_time": INDICATORS["handled_on_time"].label,
    "on_time_handling_rate": INDICATORS["on_time_handling_rate"].label,
    "due_to_dispatch": INDICATORS["due_to_dispatch"].label,
    "dispatched_on_time": INDICATORS["dispatched_on_time"].label,
    "on_time_dispatch_rate": INDICATORS["on_time_dispatch_rate"].label,
    "due_to_close": INDICATORS["due_to_close"].label,
    "closed_count": INDICATORS["closed"].label,
    "closure_rate": INDICATORS["closure_rate"].label,
    "closed_on_time": INDICATORS["closed_on_time"].label,
    "on_time_closure_rate": INDICATORS["on_time_closure_rate"].label,
    "rework_rate": INDICATORS["rework_rate"].label,
}


def _published(period: str | None) -> SnapshotVersion | None:
    if period is None:
        return snapshots.latest_published("month")
    return (
        SnapshotVersion.select(SnapshotVersion, Snapshot)
        .join(Snapshot)
        .where((Snapshot.period == period) & SnapshotVersion.published_at.is_null(False))
        .order_by(SnapshotVersion.number.desc())
        .first()
    )


def archive() -> list[dict]:
    """Every period with a published version, newest first: its key, kind and days."""
    query = (
        Snapshot.select(Snapshot.period, Snapshot.kind)
        .join(SnapshotVersion)
        .where(SnapshotVersion.published_at.is_null(False))
        .distinct()
    )
    found = []
    for s in query:
        period = periods.parse(s.period)
        found.append({"key": period.key, "kind": periods.KINDS.get(period.kind), "period": period})
    found.sort(key=lambda p: (p["period"].end, p["period"].start), reverse=True)
    return [{**p, "dates": periods.dates(p["period"].start, p["period"].end)} for p in found]


@public_bp.route("/")
@public_bp.route("/<period>")
@public
@unscoped
def bulletin(period=None):
    chosen = request.args.get("period")
    if period is None and chosen:  # the archive's chooser
        return redirect(url_for("evaluation_public.bulletin", period=chosen))
    version = _published(period)
    if version is None and period is not None:
        abort(404)
    data = version.data if version else None
    return page(
        "evaluation/public.html",
        version=version,
        data=data,
        levels=PUBLIC_LEVELS,
        archive=archive(),
        FIGURE_LABELS=FIGURE_LABELS,
        LEVELS=LEVELS,
        INDICATORS=INDICATORS,
        is_rate=is_rate,
        cell=exports.cell,
        formula_of=scores.formula_of,
        SOURCES=SOURCES,
        CASE_ON_TIME_TEXT=CASE_ON_TIME_TEXT,
    )


@public_bp.route("/<period>/bulletin.xlsx")
@public
@unscoped
def bulletin_export(period):
    version = _published(period)
    if version is None:
        abort(404)
    return send_workbook(f"bulletin-{period}", exports.bulletin_sheets(version.data, PUBLIC_LEVELS))
