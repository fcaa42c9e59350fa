"""Long imports started from an admin page run in a thread of the web process and record their progress
in a row of their own (an `ImportJob` model), which the page polls. The catalogue, grid and component
importers share this machinery.

One import of a kind at a time, held by the database: each ImportJob table has a partial unique index on a
constant over the rows whose status is in GOING (`one_at_a_time`), so of two imports started at the same
instant the second INSERT fails (`AlreadyGoing`). Whatever ends a job (its outcome, a failure, close_stale)
frees the place by setting its status; there is nothing else to clear."""

import logging
import threading
import time
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
)

from core import clock
from core.db import BaseModel, JSONField, db
from core.org import User
from core.scheduler import runner_alive, this_runner

log = logging.getLogger(__name__)
GOING = ("running", "writing")
# An import takes minutes: one still "going" after this long lost its process (on another host, unseen).
STALE_AFTER = timedelta(hours=1)


class ImportJob(BaseModel):
    """The fields every import's row has; a subclass adds its options. STATUSES, status → (label, badge
    colour), are every import's; a subclass whose stages read otherwise replaces or adds labels."""

    STATUSES: dict = {
        "running": (_l("Checking the rows"), "grey"),
        "writing": (_l("Writing to the database"), "grey"),
        "done": (_l("Imported"), "green"),
        "checked": (_l("Dry run finished: nothing was written"), "green"),
        "rejected": (_l("Rows were rejected: nothing was written"), "red"),
        "failed": (_l("Failed: nothing was written"), "red"),
        "interrupted": (_l("Interrupted: the server stopped during the import"), "red"),
    }

    filename = CharField(max_length=255)
    status = CharField(max_length=12, default="running")  # a key of STATUSES
    dry_run = BooleanField(default=False)
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    counts = JSONField(null=True)
    error = TextField(default="")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    runner = CharField(max_length=120, default="")  # "host:pid" of the process running it
    started_at = DateTimeField(default=clock.now)
    ended_at = DateTimeField(null=True)

    @property
    def going(self) -> bool:
        return self.status in GOING

    @property
    def status_label(self):
        return self.STATUSES.get(self.status, (self.status, "grey"))


def one_at_a_time(model):
    """Class decorator of an ImportJob subclass: at most one of its rows going. Migrations create the
    index under the same name, `<table>_one_going`."""
    index = model.index(SQL("(1)"), unique=True, name=_going_index(model))
    model.add_index(index.where(model.status.in_(GOING)))
    return model


def _going_index(model) -> str:
    return f"{model._meta.table_name}_one_going"


class AlreadyGoing(Exception):
    """Another import of the same kind is going."""


def close_stale(model):
    """Imports left going by a process that stopped (or going for longer than STALE_AFTER, on another
    host) are marked interrupted. Reads only, unless there is one to close."""
    for job in model.select().where(model.status.in_(GOING)):
        if not runner_alive(job.runner) or clock.now() - job.started_at >= STALE_AFTER:
            model.update(status="interrupted", ended_at=clock.now()).where(
                (model.id == job.id) & model.status.in_(GOING)
            ).execute()


def start(app, model, data: bytes, locale: str, work, **fields):
    """Record an import and run `work(job, data, user, progress) -> dict of outcome fields` in a thread
    (its own app context, connection and the user's language). AlreadyGoing when another import of the
    model's kind is going: the row is its claim, so nothing is checked before."""
    try:
        with db.atomic():
            job = model.create(status="running", runner=this_runner(), started_at=clock.now(), **fields)
    except IntegrityError as error:
        if _going_index(model) in str(error):  # SQLite and PostgreSQL both name the index
            raise AlreadyGoing from None
        raise

    def thread():
        with app.app_context(), db.connection_context(), force_locale(locale):
            _run(model, job.id, data, work)

    threading.Thread(target=thread, name=f"{model._meta.table_name}-{job.id}", daemon=True).start()
    return job


def _run(model, job_id, data, work):
    job = model.get_by_id(job_id)
    user = User.get_or_none(User.id == job.user_id) if job.user_id else None
    shown = [0.0]

    def progress(stage, done, total):
        now = time.monotonic()
        if stage == "database" or done in (1, total) or now - shown[0] >= 0.25:
            shown[0] = now
            status = "writing" if stage == "database" else "running"
            # Only while it is going: a job close_stale closed must not take the place of a newer one.
            model.update(status=status, done=done, total=total).where(
                (model.id == job_id) & model.status.in_(GOING)
            ).execute()

    try:
        outcome = work(job, data, user, progress)
    except Exception:
        log.exception("%s %s failed", model.__name__, job_id)
        outcome = {
            "status": "failed",
            "error": _("Something went wrong on the server. The error was logged; nothing was written."),
        }
    model.update(ended_at=clock.now(), **outcome).where(model.id == job_id).execute()


def rows_outcome(result, dry_run: bool) -> dict:
    """What a row-by-row import (catalogue, census) leaves on its job: written, only checked (a dry
    run), or rejected whole; its counts and its rejected rows (line, reason)."""
    return {
        "status": "done" if result.written else "checked" if dry_run else "rejected",
        "counts": result.counts,
        "rejected": [list(r) for r in result.rejected],
        "total": result.total,
        "done": result.total,
    }
