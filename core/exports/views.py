"""The answer to an export button (`respond`: the file at once when small, else the progress of a
background export) and the export's pages: its progress, polled, and its download, for its owner only."""

from flask import Blueprint, current_app, redirect, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core import xlsx
from core.exports.jobs import close_sheets, close_stale, start
from core.exports.kinds import kinds
from core.exports.models import ExportJob
from core.permissions import login_required, scoped
from core.web import htmx, message, page


def respond(name: str, params: dict, filename: str):
    """The answer to an export button: the workbook itself when it has at most the kind's inline rows,
    else the progress of a background export (started now, or the one the user already has going).
    `filename` without extension."""
    kind = kinds().get(name)
    if kind is None:  # its plugin is disabled or failed
        return message(_("There is no such export."), 404)
    user = current_user._get_current_object()
    sheets = kind.sheets(user, params)
    total = sum(sheet.expected for sheet in sheets)
    limit = current_app.config["EXPORT_INLINE_ROWS"] if kind.inline_rows is None else kind.inline_rows
    if total <= limit:
        return xlsx.send_workbook(filename, sheets)
    close_sheets(sheets)
    job, _started = start(name, params, user, str(get_locale()), f"{filename}.xlsx", total)
    return progress(job)


def progress(job: ExportJob):
    """The page that follows an export (or its fragment, for a button that shows it in place)."""
    if htmx and htmx.target == "export-progress":
        return page("exports/show.html", "exports/_progress.html", "export-progress", job=job)
    return redirect(url_for("exports.show", export_id=job.id), 303)


bp = Blueprint("exports", __name__, url_prefix="/exports")


def _own(export_id) -> ExportJob | None:
    close_stale(current_user.id)
    return ExportJob.get_or_none((ExportJob.id == export_id) & (ExportJob.user == current_user.id))


@bp.route("/<int:export_id>")
@login_required
@scoped("export_id", kind="export")
def show(export_id):
    job = _own(export_id)
    if job is None:
        return message(_("There is no such export."), 404)  # someone else's: as if it did not exist
    return page("exports/show.html", "exports/_progress.html", "export-progress", job=job)


@bp.route("/<int:export_id>/download")
@login_required
@scoped("export_id", kind="export")
def download(export_id):
    job = _own(export_id)
    if job is None or job.status != "done" or not job.path.is_file():
        return message(_("There is no such export, or its file was deleted."), 404)
    return send_file(
        job.path,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=job.filename,
    )
