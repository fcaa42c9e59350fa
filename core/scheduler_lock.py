"""The lock that makes one scheduler per database: a process takes it before it starts the scheduler and
holds it for as long as it lives. The operating system or the database server frees it when the process
dies, however it dies, so a second scheduler waiting for it takes over within seconds.

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock(LOCK_KEY)`) on a connection of its own, kept
  open; the server frees it when that connection ends.
- SQLite: an exclusive `flock` on the file `<database>.scheduler-lock` beside the database file; the
  kernel frees it when the process ends."""

import fcntl
import logging
import os
import threading
import time

from playhouse.db_url import parse

log = logging.getLogger(__name__)

LOCK_KEY = 0x58495548_5541_0001  # "XIUHUA", 1: the scheduler; a PostgreSQL bigint
RETRY_SECONDS = 5.0


class FileLock:
    """SQLite: flock on a file beside the database (none for an in-memory database: nothing to share)."""

    def __init__(self, database: str):
        self.path = None if database in ("", ":memory:") else f"{database}.scheduler-lock"
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.path is None:
            return True
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def held(self) -> bool:
        return True  # a flock is lost only with the process

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing the file frees the lock
            self.fd = None


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a connection of its own, with TCP keepalives so that a
    connection gone dead is noticed (then the server has freed the lock: `held()` says so)."""

    def __init__(self, url: str):
        self.params = {**parse(url), "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
        self.params.setdefault("connect_timeout", 10)
        self.connection = None

    def _query(self, sql: str, *args):
        import psycopg2

        if self.connection is None or self.connection.closed:
            self.connection = psycopg2.connect(**self.params)
            self.connection.autocommit = True
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchone()[0]

    def try_acquire(self) -> bool:
        try:
            return bool(self._query("SELECT pg_try_advisory_lock(%s)", LOCK_KEY))
        except Exception as error:  # the server is away: keep waiting, as for a lock held elsewhere
            log.warning("scheduler lock: the database does not answer (%s)", type(error).__name__)
            self.release()
            return False

    def held(self) -> bool:
        try:
            return self._query("SELECT 1") == 1 and self.connection is not None
        except Exception:
            self.release()
            return False

    def release(self):
        if self.connection is not None:
            try:
                self.connection.close()  # ending the session frees its advisory locks
            except Exception:
                pass
            self.connection = None


def lock_for(url: str):
    if url.startswith("sqlite"):
        return FileLock(parse(url)["database"])
    return AdvisoryLock(url)


def acquire(url: str, retry_seconds: float = RETRY_SECONDS, stop: threading.Event | None = None):
    """Wait until this process holds the scheduler lock of the database at `url` and return the lock (keep
    it referenced; `.held()` says whether it is still held, `.release()` frees it). Says once in the log
    that it waits. Returns None if `stop` is set while it waits."""
    lock = lock_for(url)
    waited = False
    while not lock.try_acquire():
        if not waited:
            log.warning("another scheduler holds the lock for this database: waiting to take over")
            waited = True
        if stop is not None:
            if stop.wait(retry_seconds):
                lock.release()
                return None
        else:
            time.sleep(retry_seconds)
    if waited:
        log.warning("scheduler lock taken: this process runs the scheduled jobs now")
    return lock
