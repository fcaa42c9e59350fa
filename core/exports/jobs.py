"""Background exports: `start` records an `ExportJob` and writes its workbook into instance/exports/ in a
thread of the web process, its progress (and heartbeat) in the job's row. A user has at most one export
going at a time, held by a unique index; a job whose worker is gone is closed (`close_stale`); the
scheduler deletes files and rows older than EXPORT_KEEP_DAYS (`prune`). A kind is called in the thread
too, so it reads the user's permissions as they are when the file is written."""

import logging
import threading
import time
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError, OperationalError

from core import clock, xlsx
from core.background import GOING
from core.db import db
from core.exports.kinds import kinds
from core.exports.models import ExportJob
from core.org import User
from core.scheduler import runner_alive, this_runner
from core.xlsx import Sheet

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500  # rows between two progress updates (and heartbeats) of the job's row
# A worker in another process that has not written progress for this long is taken for dead. A page of
# rows takes well under a second; saving the largest file, seconds.
HEARTBEAT_LIMIT = timedelta(minutes=2)


# Held while a job's row is created and its thread started, and while this process's workers are looked
# for: a job is never seen between its row and its thread.
_starting = threading.Lock()


def _thread_name(job_id: int) -> str:
    return f"export-{job_id}"


def _why_dead(job: ExportJob) -> dict | None:
    """The outcome of a going job whose worker is gone, or None while it lives: in this process, its
    thread; on this host, its process; elsewhere, its heartbeat within HEARTBEAT_LIMIT."""
    if job.runner == this_runner():
        with _starting:
            alive = any(t.name == _thread_name(job.id) and t.is_alive() for t in threading.enumerate())
        failed = _("The export stopped before its file was complete. Export again.")
        return None if alive else {"status": "failed", "error": failed}
    if not runner_alive(job.runner) or clock.now() - (job.heartbeat_at or job.started_at) > HEARTBEAT_LIMIT:
        return {"status": "interrupted"}
    return None


def close_stale(user_id: int | None = None):
    """Going exports whose worker is gone (`_why_dead`) are ended, which frees their user's slot. Reads
    only, unless there is one to close."""
    query = ExportJob.select().where(ExportJob.going_user.is_null(False))
    if user_id is not None:
        query = query.where(ExportJob.going_user == user_id)
    for job in list(query):  # read to its end first: no read left open under the update (BUSY_SNAPSHOT)
        outcome = {"status": job.status} if not job.going else _why_dead(job)
        if outcome is not None:
            ExportJob.update(ended_at=job.ended_at or clock.now(), going_user=None, **outcome).where(
                (ExportJob.id == job.id) & (ExportJob.going_user.is_null(False))
            ).execute()


def start(kind: str, params: dict, user, locale: str, filename: str, total: int) -> tuple[ExportJob, bool]:
    """Start an export in a thread; or, when the user already has one going, return that one.
    Returns (job, started)."""
    close_stale(user.id)
    app = current_app._get_current_object()
    for _attempt in range(3):
        with _starting:
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
            except IntegrityError:
                job = None
            else:
                worker = threading.Thread(target=_worker, args=(app, job.id, locale), name=_thread_name(job.id))
                worker.daemon = True
                worker.start()
                return job, True
        going = ExportJob.get_or_none(ExportJob.going_user == user.id)
        if going is not None:
            return going, False
        # it ended in between: try again
    raise RuntimeError("could not record the export")


def _worker(app, job_id: int, locale: str):
    with app.app_context(), db.connection_context(), force_locale(locale):
        _run(job_id)


def _run(job_id: int):
    job = ExportJob.get_by_id(job_id)
    path, sheets = job.path, []
    try:
        kind = kinds().get(job.kind)
        if kind is None:
            raise LookupError(f"export kind {job.kind!r} is not registered (its plugin is disabled or failed)")
        user = User.get_by_id(job.user_id)
        if kind.permission and not user.can(kind.permission):
            raise PermissionError(f"{user.username} may no longer export {kind.name}")
        sheets = kind.sheets(user, job.params or {})
        _heartbeat(job_id, total=sum(sheet.expected for sheet in sheets))
        path.parent.mkdir(parents=True, exist_ok=True)
        written = xlsx.write_book(path, sheets, lambda done: _heartbeat(job_id, done=done), PROGRESS_EVERY)
        outcome = {"status": "done", "done": written, "total": written}
    except Exception:
        log.exception("export %s failed", job_id)
        close_sheets(sheets)
        path.unlink(missing_ok=True)
        outcome = {"status": "failed", "error": _("Something went wrong on the server. The error was logged.")}
    _end(job_id, outcome)


def close_sheets(sheets: list[Sheet]):
    for sheet in sheets:
        getattr(sheet.rows, "close", lambda: None)()


def _heartbeat(job_id: int, **fields):
    """Progress, and the proof the worker lives. A write that fails (the database busy beyond its
    timeout) is logged and the export goes on: the next one will tell."""
    try:
        ExportJob.update(heartbeat_at=clock.now(), **fields).where(
            (ExportJob.id == job_id) & ExportJob.status.in_(GOING)
        ).execute()
    except OperationalError as error:
        log.warning("export %s: progress not recorded: %s", job_id, error)


def _end(job_id: int, outcome: dict, attempts: int = 5):
    """Record the outcome, retrying while the database is busy; if it never can, the thread ends anyway
    and `close_stale` sees the job dead."""
    for attempt in range(attempts):
        try:
            ExportJob.update(ended_at=clock.now(), going_user=None, **outcome).where(ExportJob.id == job_id).execute()
            return
        except OperationalError as error:
            log.warning("export %s: outcome not recorded (attempt %d): %s", job_id, attempt + 1, error)
            time.sleep(0.1 * 2**attempt)
    log.error("export %s: outcome %s could not be recorded", job_id, outcome.get("status"))


def going_for(user) -> ExportJob | None:
    if not ExportJob.select().where(ExportJob.going_user == user.id).exists():
        return None
    close_stale(user.id)
    return ExportJob.get_or_none(ExportJob.going_user == user.id)


def prune():
    """The scheduler's job: delete the files and rows of exports older than EXPORT_KEEP_DAYS."""
    cutoff = clock.now() - timedelta(days=current_app.config["EXPORT_KEEP_DAYS"])
    old = list(ExportJob.select().where((ExportJob.started_at < cutoff) & ExportJob.going_user.is_null()))
    for job in old:
        job.path.unlink(missing_ok=True)
    removed = ExportJob.delete().where(ExportJob.id.in_([job.id for job in old])).execute() if old else 0
    return f"removed {removed} exports older than {current_app.config['EXPORT_KEEP_DAYS']} days"
