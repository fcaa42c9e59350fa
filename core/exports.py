"""Excel exports, small and large, through one mechanism: a kind of export (`Kind`, from a plugin's
`register_exports` hook) builds its
workbook for a user and the filters they chose; `respond()` answers the export button with the file itself
when it has at most EXPORT_INLINE_ROWS rows, and otherwise records an `ExportJob`, writes the workbook into
instance/exports/ in a thread of the web process with its progress in the job's row, and shows the page that
polls it. Only the user who asked may download the file. A user has at most one export going at a time;
the scheduler deletes files and rows older than EXPORT_KEEP_DAYS.

A kind's rows are produced lazily and read in short statements (`in_pages`): no read stays open across
the export, so the progress written between pages never meets a stale SQLite snapshot
(SQLITE_BUSY_SNAPSHOT) however busy the database. A kind is called in the thread too, so it reads the
user's permissions as they are when the file is written."""

import json
import logging
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Blueprint, current_app, redirect, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import (
    SQL,
    Alias,
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    OperationalError,
    Select,
    TextField,
)

from core import clock, plugins, xlsx
from core.background import GOING
from core.db import BaseModel, JSONField, db, is_sqlite
from core.hookspecs import hookimpl
from core.org import User
from core.permissions import login_required, scoped
from core.scheduler import JobSpec, runner_alive, this_runner
from core.web import htmx, message, page
from core.xlsx import Sheet

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500  # rows between two progress updates (and heartbeats) of the job's row
PAGE_ROWS = 500  # rows read by one statement of `in_pages`
# A worker in another process that has not written progress for this long is taken for dead. A page of
# rows takes well under a second; saving the largest file, seconds.
HEARTBEAT_LIMIT = timedelta(minutes=2)

STATUSES = {
    "running": (_l("Writing the file"), "grey"),
    "done": (_l("Ready to download"), "green"),
    "failed": (_l("Failed"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the export"), "red"),
}


@dataclass(frozen=True)
class Kind:
    """A kind of export. `sheets(user, params)` builds the workbook: its sheets' rows produced lazily (with
    `total` set) and read in short statements (`in_pages`). It is called in the request, to count the rows,
    and again in the export's thread, to write them."""

    name: str  # unique across plugins; ExportJob.kind
    sheets: Callable[[User, dict], list[Sheet]]
    permission: str | None = None  # checked again in the thread: a user who lost it gets no file
    inline_rows: int | None = None  # answered in the request up to this many rows; None: EXPORT_INLINE_ROWS


def kinds() -> dict[str, Kind]:
    """Every kind the enabled plugins registered (register_exports, called once at start-up), by name: a
    disabled or failed plugin's kind is not there."""
    return {kind.name: kind for _, kind in plugins.host().items("register_exports")}


def in_pages(ids: Iterable, fetch: Callable[[list], dict], size: int = PAGE_ROWS) -> Iterator:
    """Rows in short reads: `ids` (a query of one column, in the export's order, read to its end at once),
    then `fetch(page of ids) -> {id: row}` for each page, yielded in the ids' order. No statement is left
    open between two pages; memory holds the ids and one page. A row deleted meanwhile is left out."""
    if isinstance(ids, Select):  # its rows as the driver gives them: ids need no conversion
        ids = db.execute(ids).fetchall()
    order = [row[0] if isinstance(row, tuple) else row for row in ids]
    for start in range(0, len(order), size):
        page_ids = order[start : start + size]
        found = fetch(page_ids)
        for id_ in page_ids:
            if id_ in found:
                yield found[id_]


def by_ids(build: Callable[[object], Select]) -> Callable[[list], list]:
    """A page reader for `in_pages`: `read(page of integer ids)` → the rows of `build(ids)`, a select of an
    export's columns with its joins and a `.where(Model.id.in_(ids))`, as named tuples of the columns'
    names (their aliases), as `.namedtuples()` gives them. The statement is built once, with a stand-in
    for the ids, which each page then passes as one parameter (a JSON array read by json_each on SQLite,
    an array on PostgreSQL): peewee turning a page's 500-id IN list into SQL cost as much as running it.
    Values are converted as peewee converts them, dates and times read straight from their ISO text."""
    stand_in = object()
    if is_sqlite():
        ids_sql = SQL("(SELECT value FROM json_each(?))", [stand_in])
    else:
        ids_sql = SQL("(SELECT unnest(%s::bigint[]))", [stand_in])
    query = build(ids_sql)
    sql, params = query.sql()
    where = next(index for index, param in enumerate(params) if param is stand_in)
    nodes = query._returning
    names = [node._alias if isinstance(node, Alias) else getattr(node, "name", f"c{n}") for n, node in enumerate(nodes)]
    make = namedtuple("Row", names, rename=True)._make
    converters = [(n, convert) for n, node in enumerate(nodes) if (convert := _converter(node.unwrap()))]

    def read(page_ids: list) -> list:
        params[where] = json.dumps(page_ids) if is_sqlite() else list(page_ids)
        rows = db.execute_sql(sql, params).fetchall()
        if not converters:
            return [make(row) for row in rows]
        found = []
        for row in rows:
            row = list(row)
            for n, convert in converters:
                if row[n] is not None:
                    row[n] = convert(row[n])
            found.append(make(row))
        return found

    return read


_PLAIN = (CharField, TextField, IntegerField, BigIntegerField, AutoField, FloatField)  # as the driver gives them


def _converter(node) -> Callable | None:
    """How a selected column's value becomes what peewee would give: None when it already is."""
    if isinstance(node, ForeignKeyField):
        node = node.rel_field
    if type(node) in _PLAIN or not isinstance(node, Field):
        return None
    if isinstance(node, DateTimeField | DateField):
        parse, slow = (datetime if isinstance(node, DateTimeField) else date).fromisoformat, node.python_value

        def iso(value):
            if type(value) is str:
                try:
                    return parse(value)
                except ValueError:
                    pass
            return slow(value)

        return iso
    if isinstance(node, BooleanField):
        return bool
    return node.python_value


class ExportJob(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=40)  # a Kind's name
    params = JSONField(null=True)  # what the kind's function reads: the list's filters
    status = CharField(max_length=12, default="running")  # a key of STATUSES
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    filename = CharField(max_length=255, default="")  # the download's name
    error = TextField(default="")
    runner = CharField(max_length=120, default="")  # "host:pid" of the process writing it
    started_at = DateTimeField(default=clock.now, index=True)
    heartbeat_at = DateTimeField(null=True)  # the worker's last progress
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
    _close(sheets)
    job, _started = start(name, params, user, str(get_locale()), f"{filename}.xlsx", total)
    return progress(job)


def progress(job: ExportJob):
    """The page that follows an export (or its fragment, for a button that shows it in place)."""
    if htmx and htmx.target == "export-progress":
        return page("exports/show.html", "exports/_progress.html", "export-progress", job=job)
    return redirect(url_for("exports.show", export_id=job.id), 303)


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
        _close(sheets)
        path.unlink(missing_ok=True)
        outcome = {"status": "failed", "error": _("Something went wrong on the server. The error was logged.")}
    _end(job_id, outcome)


def _close(sheets: list[Sheet]):
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


# --- pages -------------------------------------------------------------------------------------------

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


# --- hooks -------------------------------------------------------------------------------------------


@hookimpl
def config_defaults():
    return {"EXPORT_KEEP_DAYS": 7, "EXPORT_INLINE_ROWS": 2000}


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    return [JobSpec("exports.prune", _l("Delete old export files"), prune, cron="40 3 * * *")]
