"""Scheduled jobs: every run recorded, catch-up once (never twice), run now from the admin page,
and the real APScheduler firing a job."""

import json
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta

from core import clock, scheduler
from core.db import db
from core.scheduler import JobRun, JobSpec, ScheduledJob
from tests.support import GOOD_PLUGINS as GOOD


def runs(job_id):
    with db.connection_context():
        return list(JobRun.select().where(JobRun.job_id == job_id).order_by(JobRun.id))


def test_a_run_is_recorded_with_its_outcome(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    run = scheduler.run_job(app, "recorder.tick", "manual")
    assert (run.outcome, run.summary, run.trigger) == ("success", "ticked", "manual")
    assert run.ended_at is not None


def test_a_failing_job_is_recorded_as_an_error_and_does_not_raise(make_app, monkeypatch):
    app = make_app(PLUGINS_DIR=GOOD)

    def explode():
        raise RuntimeError("disk full")

    specs = scheduler.specs(app)
    monkeypatch.setitem(specs, "recorder.tick", JobSpec("recorder.tick", "t", explode, cron="0 6 * * *"))
    run = scheduler.run_job(app, "recorder.tick", "schedule")
    assert run.outcome == "error" and "disk full" in run.error


def test_a_job_missed_while_down_runs_once_on_start_never_twice(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    monday = datetime(2026, 11, 23, 5, 0)
    with clock.frozen(monday):
        assert scheduler.prepare(app) == []  # first start: the job is recorded, nothing is due yet
    with db.connection_context():
        assert ScheduledJob.get_by_id("recorder.tick").next_run_at == datetime(2026, 11, 23, 6, 0)
    # The process was down for three days, across three 06:00 runs.
    with clock.frozen(monday + timedelta(days=3)):
        caught = [(r.job_id, r.trigger) for r in scheduler.prepare(app)]
        assert caught.count(("recorder.tick", "catch-up")) == 1
        assert scheduler.prepare(app) == []  # a second start right after: nothing again
    assert len(runs("recorder.tick")) == 1
    with db.connection_context():
        assert ScheduledJob.get_by_id("recorder.tick").next_run_at == datetime(2026, 11, 26, 6, 0)


def dead_pid():
    """A process id that surely belonged to a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_runs_left_open_by_a_dead_process_are_marked_interrupted(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    runner = f"{socket.gethostname()}:{dead_pid()}"
    with db.connection_context():
        JobRun.create(job_id="recorder.tick", trigger="schedule", started_at=clock.now(), runner=runner)
    run = scheduler.run_job(app, "recorder.tick", "manual")
    assert run.outcome == "success"
    assert [r.outcome for r in runs("recorder.tick")] == ["interrupted", "success"]


def test_a_run_of_a_job_still_running_elsewhere_is_skipped(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    with db.connection_context():
        JobRun.create(job_id="recorder.tick", trigger="manual", started_at=clock.now(), runner=scheduler.this_runner())
    run = scheduler.run_job(app, "recorder.tick", "schedule")
    assert run.outcome == "skipped"
    assert [r.outcome for r in runs("recorder.tick")] == ["running", "skipped"]


def test_two_threads_claiming_one_job_at_once_start_it_once(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    barrier = threading.Barrier(2)
    claimed = []

    def claim():
        with app.app_context(), db.connection_context():
            barrier.wait(timeout=10)
            claimed.append(scheduler.claim(app, "recorder.tick", "manual"))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(run is None for run in claimed) == [False, True]
    assert len(runs("recorder.tick")) == 1


def test_a_run_still_marked_running_after_half_a_day_is_taken_for_dead(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    start = datetime(2026, 11, 27, 1, 0)
    with db.connection_context():
        JobRun.create(job_id="recorder.tick", trigger="manual", started_at=start, runner="elsewhere:1")
    with clock.frozen(start + timedelta(hours=1)):
        assert scheduler.run_job(app, "recorder.tick", "schedule").outcome == "skipped"
    with clock.frozen(start + scheduler.STALE_AFTER):
        assert scheduler.run_job(app, "recorder.tick", "schedule").outcome == "success"
    assert [r.outcome for r in runs("recorder.tick")] == ["interrupted", "skipped", "success"]


def test_the_real_scheduler_fires_and_records(make_app, monkeypatch):
    app = make_app(PLUGINS_DIR=GOOD)
    fired = threading.Event()

    def work():
        fired.set()
        return "fired"

    monkeypatch.setitem(
        scheduler.specs(app), "recorder.tick", JobSpec("recorder.tick", "t", work, every=timedelta(seconds=1))
    )
    scheduler.prepare(app)
    sched = scheduler.build(app)
    sched.start()
    try:
        assert fired.wait(timeout=10), "the scheduler never ran the job"
    finally:
        sched.shutdown(wait=True)
    recorded = runs("recorder.tick")
    assert recorded and recorded[0].trigger == "schedule" and recorded[0].summary == "fired"


def test_run_now_from_the_admin_page(make_app, users, monkeypatch):
    app = make_app(PLUGINS_DIR=GOOD)
    done = threading.Event()

    def work():
        done.set()
        return "by hand"

    monkeypatch.setitem(scheduler.specs(app), "recorder.tick", JobSpec("recorder.tick", "t", work, cron="0 6 * * *"))
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "recorder.tick" in page and "core.prune_job_runs" in page
    response = client.post("/admin/jobs/recorder.tick/run", headers={"HX-Request": "true", "HX-Target": "jobs-table"})
    assert response.status_code == 200
    assert done.wait(timeout=10)
    for thread in threading.enumerate():
        if thread.name == "job:recorder.tick":
            thread.join(timeout=10)
    assert [(r.trigger, r.summary) for r in runs("recorder.tick")] == [("manual", "by hand")]


def test_run_now_is_refused_while_the_job_is_running(make_app, users):
    app = make_app(PLUGINS_DIR=GOOD)
    with db.connection_context():
        JobRun.create(
            job_id="recorder.tick", trigger="schedule", started_at=clock.now(), runner=scheduler.this_runner()
        )
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    response = client.post("/admin/jobs/recorder.tick/run")
    assert "正在运行" in response.get_data(as_text=True)
    assert len(runs("recorder.tick")) == 1


def test_unknown_job_is_404(make_app, users):
    app = make_app()
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    assert client.post("/admin/jobs/no.such/run").status_code == 404


def test_core_prune_job_removes_only_old_finished_runs(make_app):
    app = make_app()
    now = datetime(2026, 11, 27, 3, 30)
    with db.connection_context():
        JobRun.create(job_id="x", trigger="schedule", started_at=now - timedelta(days=400), outcome="success")
        JobRun.create(job_id="x", trigger="schedule", started_at=now - timedelta(days=1), outcome="success")
    with clock.frozen(now):
        run = scheduler.run_job(app, "core.prune_job_runs", "manual")
    assert json.loads(run.summary)["params"] == {"n": 1, "days": 180}
    assert len(runs("x")) == 1


def test_a_run_summary_is_kept_as_a_msgid_and_shown_in_the_readers_language(app, as_role):
    from flask_babel import force_locale, gettext

    run = scheduler.run_job(app, "core.prune_job_runs", "manual")
    stored = json.loads(run.summary)
    assert stored == {"msgid": "Run records older than %(days)d days removed: %(n)d", "params": {"n": 0, "days": 180}}
    admin = as_role("admin")
    admin.post("/lang", data={"lang": "en"})
    assert "Run records older than 180 days removed: 0" in admin.get("/admin/jobs").get_data(as_text=True)
    admin.post("/lang", data={"lang": "zh_CN"})
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = gettext(stored["msgid"], **stored["params"])
    html = admin.get("/admin/jobs").get_data(as_text=True)
    assert chinese in html and "{&#34;msgid" not in html and '{"msgid' not in html
    assert scheduler.summary_text("an older run's plain text") == "an older run's plain text"
