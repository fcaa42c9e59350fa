"""Scheduled jobs: plugins declare them (register_jobs), exactly one process runs them
(`flask scheduler run`, or `flask serve` in the single-process default), and every run is recorded.
A process runs them only while it holds the scheduler lock (core/scheduler_lock.py): a second one waits
and takes over when the first dies. The holder writes a heartbeat (`scheduler_heartbeat`, one row).

The next fire time of every job is kept in the database, so a job whose time passed while no
scheduler was running is run once when one starts (catch-up), and never twice."""

import json
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, IntegerField, TextField

from core import clock, scheduler_lock
from core.db import BaseModel, db, is_sqlite

log = logging.getLogger(__name__)

# A run still marked running after this long is taken to be dead (its process gone unseen).
STALE_AFTER = timedelta(hours=12)
HEARTBEAT_SECONDS = 30  # how often the scheduler holding the lock writes its heartbeat


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (pybabel knows N_) that is translated later, when shown."""
    return msgid


class Summary:
    """A run's one-line summary, kept as its English msgid and parameters and shown in the reader's
    language: `return Summary(N_("Reminders sent: %(n)d"), n=sent)`."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params

    def stored(self) -> str:
        return json.dumps({"msgid": self.msgid, "params": self.params}, ensure_ascii=False, default=str)


def summary_text(stored: str) -> str:
    """A stored summary in the reader's language; plain text (older runs, other jobs) as it is."""
    if not stored.startswith('{"msgid"'):
        return stored
    try:
        data = json.loads(stored)
        msgid, params = data["msgid"], data["params"]
        return gettext(msgid, **params)
    except (ValueError, KeyError, TypeError):
        return stored


@dataclass(frozen=True)
class JobSpec:
    id: str  # stable, unique across plugins: "<plugin>.<job>"
    name: str
    func: Callable[[], "Summary | str | None"]  # the run log's one-line summary (Summary: translated when read)
    cron: str | None = None  # crontab syntax, in the configured time zone
    every: timedelta | None = None

    def trigger(self):
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=clock.zone())
        return IntervalTrigger(seconds=int(self.every.total_seconds()), timezone=clock.zone())

    def describe(self) -> str:
        return self.cron or f"every {self.every}"

    def next_after(self, moment):
        """The first fire time strictly after `moment` (naive local time)."""
        aware = moment.replace(tzinfo=clock.zone()) + timedelta(microseconds=1)
        trigger = self.trigger()
        if isinstance(trigger, IntervalTrigger):
            return moment + self.every
        return trigger.get_next_fire_time(None, aware).replace(tzinfo=None)


OUTCOMES = {
    "running": (_l("Running"), "yellow"),
    "success": (_l("Succeeded"), "green"),
    "error": (_l("Failed"), "red"),
    "interrupted": (_l("Interrupted"), "grey"),
    "skipped": (_l("Skipped: already running"), "grey"),
}
TRIGGERS = {"schedule": _l("On schedule"), "catch-up": _l("Catch-up"), "manual": _l("Run by hand")}


class ScheduledJob(BaseModel):
    id = CharField(max_length=80, primary_key=True)
    plugin = CharField(max_length=60)
    schedule = CharField(max_length=60)
    next_run_at = DateTimeField(null=True)


class JobRun(BaseModel):
    job_id = CharField(max_length=80, index=True)
    trigger = CharField(max_length=12)  # schedule, catch-up, manual
    started_at = DateTimeField(index=True)
    ended_at = DateTimeField(null=True)
    outcome = CharField(max_length=12, default="running")  # a key of OUTCOMES
    summary = TextField(default="")
    error = TextField(default="")
    runner = CharField(max_length=120, default="")  # host:pid of the process running it


class SchedulerHeartbeat(BaseModel):
    """One row (id 1): the process holding the scheduler lock and when it last said it was alive."""

    id = IntegerField(primary_key=True)
    runner = CharField(max_length=120)  # host:pid
    beat_at = DateTimeField()

    class Meta:
        table_name = "scheduler_heartbeat"


def init_app(app):
    registered = app.extensions["xiuhua.plugins"].items("register_jobs")
    app.extensions["xiuhua.jobs"] = {spec.id: spec for _, spec in registered}
    app.extensions["xiuhua.job_owners"] = {spec.id: plugin for plugin, spec in registered}
    app.cli.add_command(scheduler_cli)
    app.add_template_filter(summary_text, "run_summary")


def specs(app) -> dict[str, JobSpec]:
    return app.extensions["xiuhua.jobs"]


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_alive(runner: str) -> bool:
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: it cannot be checked from here, so trust it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def live_run(job_id: str) -> JobRun | None:
    """The run of this job still going in a live process. Runs left by a dead process, or running
    longer than STALE_AFTER (a process on another host that is gone), are closed as interrupted."""
    for run in JobRun.select().where((JobRun.job_id == job_id) & (JobRun.outcome == "running")):
        if runner_alive(run.runner) and clock.now() - run.started_at < STALE_AFTER:
            return run
        run.outcome, run.ended_at = "interrupted", clock.now()
        run.save()
    return None


def claim(app, job_id: str, trigger: str) -> JobRun | None:
    """Record the start of a run, or return None while another run of the job is going. The job's
    row is locked first (SQLite: the write lock every transaction takes; PostgreSQL: FOR UPDATE),
    so two processes claiming at once are served one after the other."""
    spec, now = specs(app)[job_id], clock.now()
    owner = app.extensions["xiuhua.job_owners"][job_id]
    ScheduledJob.insert(
        id=job_id, plugin=owner, schedule=spec.describe(), next_run_at=spec.next_after(now)
    ).on_conflict_ignore().execute()
    with db.atomic():
        ScheduledJob.select().where(ScheduledJob.id == job_id).for_update(not is_sqlite()).get()
        if live_run(job_id):
            return None
        return JobRun.create(job_id=job_id, trigger=trigger, started_at=clock.now(), runner=this_runner())


def _execute(app, run: JobRun) -> JobRun:
    try:
        result = specs(app)[run.job_id].func() or ""
        run.summary = result.stored() if isinstance(result, Summary) else str(result)
        run.outcome = "success"
    except Exception:
        app.logger.exception("job %s failed", run.job_id)
        run.outcome, run.error = "error", traceback.format_exc()
    run.ended_at = clock.now()
    run.save()
    return run


def run_job(app, job_id: str, trigger: str) -> JobRun:
    """Run one job now, in this thread, and record the run; a run that would overlap another of the
    same job is recorded as skipped. Errors in the job are recorded, not raised."""
    with app.app_context(), db.connection_context():
        run = claim(app, job_id, trigger)
        if run is None:
            now = clock.now()
            run = JobRun.create(
                job_id=job_id, trigger=trigger, started_at=now, ended_at=now, outcome="skipped", runner=this_runner()
            )
        else:
            _execute(app, run)
        if trigger != "manual":
            next_run = specs(app)[job_id].next_after(clock.now())
            ScheduledJob.update(next_run_at=next_run).where(ScheduledJob.id == job_id).execute()
        return run


def run_in_background(app, job_id: str) -> bool:
    """The admin's "run now": starts a thread, or returns False while a run of the job is going."""
    with db.connection_context():
        run = claim(app, job_id, "manual")
    if run is None:
        return False

    def work():
        with app.app_context(), db.connection_context():
            _execute(app, run)

    threading.Thread(target=work, name=f"job:{job_id}", daemon=True).start()
    return True


def prepare(app) -> list[JobRun]:
    """Before a scheduler starts: record every job and run once each job whose time passed while
    nothing was running. Returns the catch-up runs."""
    now = clock.now()
    missed = []
    with db.connection_context():
        owners = app.extensions["xiuhua.job_owners"]
        for job_id, spec in specs(app).items():
            row = ScheduledJob.get_or_none(ScheduledJob.id == job_id)
            if row is None:
                ScheduledJob.create(
                    id=job_id, plugin=owners[job_id], schedule=spec.describe(), next_run_at=spec.next_after(now)
                )
            elif row.next_run_at is None or row.next_run_at <= now:
                missed.append(job_id)
            elif row.schedule != spec.describe():
                row.schedule, row.next_run_at = spec.describe(), spec.next_after(now)
                row.save()
    return [run_job(app, job_id, "catch-up") for job_id in missed]


def build(app, scheduler_class=BackgroundScheduler):
    # misfire_grace_time=None: APScheduler 3.11 would silently skip a run more than 1 s late.
    scheduler = scheduler_class(
        timezone=clock.zone(),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for job_id, spec in specs(app).items():
        scheduler.add_job(
            run_job, trigger=spec.trigger(), args=[app, job_id, "schedule"], id=job_id, name=str(spec.name)
        )
    return scheduler


# --- one scheduler: the lock and the heartbeat --------------------------------------------------------


def beat():
    """Record that this process, holding the scheduler lock, is alive now."""
    with db.connection_context():
        now, runner = clock.now(), this_runner()
        SchedulerHeartbeat.insert(id=1, runner=runner, beat_at=now).on_conflict(
            conflict_target=[SchedulerHeartbeat.id],
            update={SchedulerHeartbeat.runner: runner, SchedulerHeartbeat.beat_at: now},
        ).execute()


def heartbeat_age() -> int | None:
    """Seconds since the scheduler last wrote its heartbeat; None when none ever did."""
    row = SchedulerHeartbeat.get_or_none(SchedulerHeartbeat.id == 1)
    return None if row is None else max(int((clock.now() - row.beat_at).total_seconds()), 0)


def _keep_beating(lock, lost: threading.Event, done: threading.Event):
    while not done.is_set():
        if not lock.held():
            log.error("scheduler lock lost (its database connection ended): the jobs stop until it is taken again")
            lost.set()
            return
        try:
            beat()
        except Exception:
            log.exception("scheduler heartbeat not written")
        done.wait(HEARTBEAT_SECONDS)


def hold_and_run(app, stop: threading.Event | None = None, echo=click.echo, retry_seconds=None):
    """Wait for the scheduler lock, then run the jobs (catch-up first) while it is held, writing the
    heartbeat; if the lock is lost, stop the jobs and wait for it again. Returns when `stop` is set."""
    stop = stop or threading.Event()
    retry = scheduler_lock.RETRY_SECONDS if retry_seconds is None else retry_seconds
    while not stop.is_set():
        lock = scheduler_lock.acquire(app.config["DATABASE_URL"], retry_seconds=retry, stop=stop)
        if lock is None:
            return
        lost, done = threading.Event(), threading.Event()
        beating = threading.Thread(target=_keep_beating, args=(lock, lost, done), name="scheduler-heartbeat")
        beating.daemon = True
        beating.start()
        scheduler = None
        try:
            for run in prepare(app):
                echo(f"caught up {run.job_id}: {run.outcome}")
            scheduler = build(app)
            scheduler.start()
            echo(f"scheduler running {len(specs(app))} jobs")
            while not (stop.is_set() or lost.is_set()):
                stop.wait(1)
        except Exception:  # the database away at start, say: let the lock go, and try again in a while
            log.exception("the scheduler could not start; trying again in %d s", HEARTBEAT_SECONDS)
            stop.wait(HEARTBEAT_SECONDS)
        finally:
            done.set()
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            beating.join(timeout=5)
            lock.release()


def start_in_background(app) -> threading.Event:
    """`flask serve`: the scheduler in a thread of the web process, once it holds the lock. Set the
    returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=hold_and_run, args=(app, stop), name="scheduler", daemon=True).start()
    return stop


scheduler_cli = AppGroup("scheduler", help="The scheduler process.")


@scheduler_cli.command("run", help="Run the scheduled jobs in this process until stopped (one per database).")
def scheduler_run():
    app = current_app._get_current_object()
    click.echo("scheduler: taking the lock (Ctrl+C stops it)")
    try:
        hold_and_run(app)
    except (KeyboardInterrupt, SystemExit):
        pass


@scheduler_cli.command("list", help="Show every job with its schedule and next run.")
def scheduler_list():
    with db.connection_context():
        rows = {row.id: row for row in ScheduledJob.select()}
    for job_id, spec in specs(current_app).items():
        row = rows.get(job_id)
        click.echo(f"{job_id}\t{spec.describe()}\tnext: {row.next_run_at if row else '-'}")
