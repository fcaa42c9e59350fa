"""Issue 16: exactly one scheduler per database. A process holds the scheduler lock while it runs the jobs;
a second one waits, says so once, and takes over within seconds when the first dies (SIGKILL: nothing is
cleaned up, the kernel or the database server frees the lock). Real processes, both backends: SQLite here,
PostgreSQL when XIUHUA_TEST_DATABASE_URL is a postgresql URL."""

import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from peewee import OperationalError

from core import scheduler, scheduler_lock
from core.db import db
from tests.support import GOOD_PLUGINS as GOOD

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys, time
from core import scheduler_lock
lock = scheduler_lock.acquire(sys.argv[1], retry_seconds=0.2)
print("locked", flush=True)
time.sleep(300)
"""


def start_holder(url):
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def said_locked(process, seconds) -> bool:
    """Whether the process prints "locked" within `seconds`."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if selector.select(timeout=seconds):
            return process.stdout.readline().strip() == "locked"
    return False


def kill(process):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def free(url) -> bool:
    """Whether another holder could take the lock now (taking it and letting it go at once)."""
    lock = scheduler_lock.lock_for(url)
    try:
        return lock.try_acquire()
    finally:
        lock.release()


@pytest.fixture(params=["sqlite", "postgresql"])
def lock_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lock.sqlite3'}"
    if not os.environ.get("XIUHUA_TEST_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("PostgreSQL: set XIUHUA_TEST_DATABASE_URL to a postgresql URL")
    return request.getfixturevalue("make_app")().config["DATABASE_URL"]  # a database of this test's own


def test_a_second_process_waits_while_the_first_lives_and_takes_over_when_it_is_killed(lock_url):
    first = start_holder(lock_url)
    second = None
    try:
        assert said_locked(first, 30), first.stderr.read()
        second = start_holder(lock_url)
        assert not said_locked(second, 3), "two processes hold the scheduler lock at once"
        kill(first)
        started = time.monotonic()
        assert said_locked(second, 10), "the waiting process never took the lock over"
        assert time.monotonic() - started < 10
    finally:
        for process in (first, second):
            if process is not None:
                kill(process)
    waited = second.stderr.read()
    assert waited.count("waiting to take over") == 1  # said once, though it tried every 0.2 s


def test_the_lock_file_lies_beside_the_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    lock = scheduler_lock.acquire(url)
    try:
        assert (tmp_path / "x.sqlite3.scheduler-lock").exists()
        assert not free(url)
    finally:
        lock.release()
    assert free(url)


def test_the_scheduler_runs_and_beats_only_once_it_holds_the_lock(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    holder = start_holder(app.config["DATABASE_URL"])
    said, stop = [], threading.Event()
    thread = None
    try:
        assert said_locked(holder, 30), holder.stderr.read()
        thread = threading.Thread(target=scheduler.hold_and_run, args=(app, stop, said.append, 0.2), daemon=True)
        thread.start()
        time.sleep(1.5)
        with db.connection_context():
            assert scheduler.heartbeat_age() is None
        assert said == []  # no scheduler started
        kill(holder)
        deadline = time.monotonic() + 10
        while not said and time.monotonic() < deadline:
            time.sleep(0.1)
        assert said and said[-1].startswith("scheduler running")
        with db.connection_context():
            row = scheduler.SchedulerHeartbeat.get_by_id(1)
        assert row.runner == scheduler.this_runner()
    finally:
        stop.set()
        kill(holder)
        if thread is not None:
            thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_lost_lock_stops_the_heartbeat_and_says_so(make_app, caplog):
    make_app()

    class Lost:
        def held(self):
            return False

    lost, done = threading.Event(), threading.Event()
    scheduler._keep_beating(Lost(), lost, done)
    assert lost.is_set()
    assert "scheduler lock lost" in caplog.text
    with db.connection_context():
        assert scheduler.heartbeat_age() is None


def test_flask_serve_s_scheduler_takes_the_lock_in_a_thread_and_beats(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    url = app.config["DATABASE_URL"]
    stop = scheduler.start_in_background(app)
    try:
        deadline, age = time.monotonic() + 10, None
        while age is None and time.monotonic() < deadline:
            time.sleep(0.1)
            with db.connection_context():
                age = scheduler.heartbeat_age()
        assert age is not None, "the in-process scheduler wrote no heartbeat"
        assert not free(url)  # it holds the lock
    finally:
        stop.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not free(url):
        time.sleep(0.2)
    assert free(url), "the lock was not freed once the scheduler stopped"


def test_a_scheduler_that_fails_to_start_lets_the_lock_go_and_tries_again(make_app, monkeypatch, caplog):
    app = make_app(PLUGINS_DIR=GOOD)
    tries = []

    def prepare_fails(app):
        tries.append(free(app.config["DATABASE_URL"]))  # held while it starts
        if len(tries) == 1:
            raise OperationalError("the database is away")
        stop.set()
        return []

    stop = threading.Event()
    monkeypatch.setattr(scheduler, "prepare", prepare_fails)
    monkeypatch.setattr(scheduler, "HEARTBEAT_SECONDS", 0.1)
    scheduler.hold_and_run(app, stop, echo=lambda line: None, retry_seconds=0.1)
    assert tries == [False, False]
    assert "the scheduler could not start" in caplog.text
    assert free(app.config["DATABASE_URL"])
