"""Excel exports too long to build inside a request: an `ExportJob` row records who asked for what, a
thread of the web process writes the workbook into instance/exports/ and records its progress, the page
polls the job's fragment, and only the user who asked may download the file. A user has at most one
export going at a time; the scheduler deletes files and rows older than EXPORT_KEEP_DAYS.

A kind of export is a function `(user, params) -> Table` registered in KINDS by the module that owns
the data (core/workorders/export.py: the case list); it is called in the thread, so it reads the
user's permissions as they are when the file is written."""

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, current_app, send_file
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError, TextField

from core import background, clock
from core.background import GOING
from core.db import BaseModel, JSONField, db
from core.hookspecs import hookimpl
from core.org import User
from core.permissions import login_required, scoped
from core.scheduler import JobSpec, this_runner
from core.web import message, page

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500  # rows between two progress updates of the job's row

STATUSES = {
    "running": (_l("Writing the file"), "grey"),
    "done": (_l("Ready to download"), "green"),
    "failed": (_l("Failed"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the export"), "red"),
}


@dataclass
class Table:
    """What a kind of export writes: one sheet, its rows produced lazily."""

    title: str  # the sheet's name and the start of the file's name
    headers: list[str]
    widths: list[int]  # column widths in characters
    rows: Iterable[list]
    total: int  # the number of rows expected, for the progress bar


KINDS: dict[str, Callable[[User, dict], Table]] = {}


class ExportJob(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=40)  # a key of KINDS
    params = JSONField(null=True)  # what the kind's function reads: the list's filters
    status = CharField(max_length=12, default="running")  # a key of STATUSES
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    filename = CharField(max_length=255, default="")  # the download's name
    error = TextField(default="")
    runner = CharField(max_length=120, default="")  # "host:pid" of the process writing it
    started_at = DateTimeField(default=clock.now, index=True)
    ended_at = DateTimeField(null=True)
    # The user's id while the export is going, None once it ended: the unique index makes a second
    # start by the same user fail in the database, however close the two requests are.
    going_user = IntegerField(null=True, unique=True)

    @property
    def going(self) -> bool:
        return self.status in GOING

    @property
    def status_label(self):
        return STATUSES.get(self.status, (self.status, "grey"))

    @property
    def path(self) -> Path:
        return export_dir() / f"{self.id}.xlsx"


def export_dir() -> Path:
    return Path(current_app.instance_path) / "exports"


def close_stale():
    """Exports whose process is gone are marked interrupted (core.background's rule), and free their
    user's slot. Reads only, unless there is one to close."""
    background.close_stale(ExportJob)
    ended = ExportJob.select(ExportJob.id).where(ExportJob.going_user.is_null(False) & ExportJob.status.not_in(GOING))
    ids = [job.id for job in ended]
    if ids:
        ExportJob.update(going_user=None).where(ExportJob.id.in_(ids)).execute()


def start(kind: str, params: dict, user, locale: str, filename: str, total: int) -> tuple[ExportJob, bool]:
    """Start an export in a thread; or, when the user already has one going, return that one.
    Returns (job, started)."""
    close_stale()
    job = None
    for _attempt in range(3):
        try:
            with db.atomic():
                job = ExportJob.create(
                    user=user,
                    kind=kind,
                    params=params,
                    filename=filename,
                    total=total,
                    runner=this_runner(),
                    started_at=clock.now(),
                    going_user=user.id,
                )
            break
        except IntegrityError:
            going = ExportJob.get_or_none(ExportJob.going_user == user.id)
            if going is not None:
                return going, False
            # it ended in between: try again
    if job is None:
        raise RuntimeError("could not record the export")
    app, job_id = current_app._get_current_object(), job.id

    def thread():
        with app.app_context(), db.connection_context(), force_locale(locale):
            _run(job_id)

    threading.Thread(target=thread, name=f"export-{job_id}", daemon=True).start()
    return job, True


def _run(job_id: int):
    job = ExportJob.get_by_id(job_id)
    path = job.path
    try:
        table = KINDS[job.kind](User.get_by_id(job.user_id), job.params or {})
        ExportJob.update(total=table.total).where(ExportJob.id == job_id).execute()

        def progress(done):
            ExportJob.update(done=done).where(ExportJob.id == job_id).execute()

        from core.xlsx import write_rows

        path.parent.mkdir(parents=True, exist_ok=True)
        written = write_rows(path, table.title, table.headers, table.widths, table.rows, progress, PROGRESS_EVERY)
        outcome = {"status": "done", "done": written, "total": written}
    except Exception:
        log.exception("export %s failed", job_id)
        path.unlink(missing_ok=True)
        outcome = {"status": "failed", "error": _("Something went wrong on the server. The error was logged.")}
    ExportJob.update(ended_at=clock.now(), going_user=None, **outcome).where(ExportJob.id == job_id).execute()


def going_for(user) -> ExportJob | None:
    if not ExportJob.select().where(ExportJob.going_user == user.id).exists():
        return None
    close_stale()
    return ExportJob.get_or_none(ExportJob.going_user == user.id)


def prune():
    """The scheduler's job: delete the files and rows of exports older than EXPORT_KEEP_DAYS."""
    cutoff = clock.now() - timedelta(days=current_app.config["EXPORT_KEEP_DAYS"])
    old = list(ExportJob.select().where((ExportJob.started_at < cutoff) & ExportJob.going_user.is_null()))
    for job in old:
        job.path.unlink(missing_ok=True)
    removed = ExportJob.delete().where(ExportJob.id.in_([job.id for job in old])).execute() if old else 0
    return f"removed {removed} exports older than {current_app.config['EXPORT_KEEP_DAYS']} days"


# --- pages -------------------------------------------------------------------------------------------

bp = Blueprint("exports", __name__, url_prefix="/exports")


def _own(export_id) -> ExportJob | None:
    close_stale()
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


# --- hooks -------------------------------------------------------------------------------------------


@hookimpl
def config_defaults():
    return {"EXPORT_KEEP_DAYS": 7}


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    return [JobSpec("exports.prune", _l("Delete old export files"), prune, cron="40 3 * * *")]
