"""One database handle for the whole application, numbered migrations per component, `flask db`."""

import functools
import json
import logging
from pathlib import Path

import click
from flask import current_app, request
from flask.cli import AppGroup
from peewee import CharField, DatabaseProxy, DateTimeField, Model, SqliteDatabase, TextField, _atomic
from playhouse.db_url import connect
from playhouse.migrations import Runner

log = logging.getLogger(__name__)


class _Atomic(_atomic):
    """peewee's atomic block, which also forgets what was queued with after_commit inside it when it
    rolls back: peewee forgets only when the outermost transaction does, not a savepoint."""

    def __enter__(self):
        entered = super().__enter__()
        self._queued = len(self.db._state.commit_callbacks)
        return entered

    def __exit__(self, exc_type, exc_val, exc_tb):
        rolled_back = True
        try:
            result = super().__exit__(exc_type, exc_val, exc_tb)
            rolled_back = exc_type is not None
            return result
        finally:
            if rolled_back:
                del self.db._state.commit_callbacks[self._queued :]


class Handle(DatabaseProxy):
    """The one database handle: peewee's proxy, with atomic blocks that keep after_commit honest."""

    def atomic(self, *args, **kwargs):
        return _Atomic(self, *args, **kwargs)

    def after_commit(self, fn):
        """Call fn() once the outermost transaction open now has committed, with no transaction
        open; never if it, or the atomic block fn was queued in, rolls back. With no transaction
        open, at once. fn raising is logged, never passed on: the caller's work is done by then."""
        self.obj.after_commit(functools.partial(_logged, fn))


def _logged(fn):
    try:
        fn()
    except Exception:
        log.exception("after-commit callback %r failed", fn)


db = Handle()

SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal"}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def open_database(url: str):
    if url.startswith("sqlite"):
        # IMMEDIATE: a transaction takes the write lock when it begins, so one that reads and then
        # writes waits its turn (busy_timeout) instead of failing with "database is locked".
        database = connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
        Path(database.database).parent.mkdir(parents=True, exist_ok=True)
        return database
    return connect(url)


def init_app(app):
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()  # this thread's connection to the database an earlier app used (tests)
    db.initialize(open_database(app.config["DATABASE_URL"]))
    # SQLite: each thread keeps its connection from one request to the next (opening one and setting its
    # pragmas cost more than many a page's queries); peewee keeps one per thread. Other databases: one
    # connection per request, so that a server restart or a dropped connection is never seen twice.
    keep = is_sqlite()

    @app.before_request
    def _connect():
        if getattr(app.view_functions.get(request.endpoint), "connects_itself", False):
            return  # /healthz connects itself, to answer "database: error" rather than fail here
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if db.is_closed():
            return
        if keep and not db.in_transaction():
            return
        db.close()

    app.cli.add_command(db_cli)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


# --- migrations --------------------------------------------------------------------------------------


def migration_sources(app):
    """(component, directory) pairs: the core first, then every enabled plugin that ships migrations."""
    sources = [("core", str(Path(__file__).parent / "migrations"))]
    sources.extend(app.extensions["xiuhua.plugins"].migration_dirs())
    return sources


def runner(component: str, directory: str) -> Runner:
    return Runner(db.obj, directory=directory, table_name=f"migrations_{component}")


class UpgradeStepDone(BaseModel):
    """An upgrade step marked `once` that has run (migration 0032): `flask db upgrade` skips it."""

    name = CharField(max_length=200, primary_key=True)
    at = DateTimeField()

    class Meta:
        table_name = "upgrade_step_done"


def upgrade(app) -> list[str]:
    """Apply pending migrations, then every plugin's upgrade_steps (the core's bring hook-registered roles,
    permissions and categories in), each in a transaction of its own. A step that raises stops the upgrade:
    what it wrote is rolled back, the steps before it stand, and running the upgrade again retries it. A
    step marked `once` is recorded in `upgrade_step_done` in its transaction, and skipped afterwards."""
    from core import clock  # the one source of "now"; it imports nothing of the project either

    host = app.extensions["xiuhua.plugins"]
    applied = []
    with app.app_context(), db.connection_context():
        for component, directory in migration_sources(app):
            applied += [f"{component}: {name}" for name in runner(component, directory).up()]
        done = {row.name for row in UpgradeStepDone.select(UpgradeStepDone.name)}
        for plugin, step in host.call_each("upgrade_steps"):
            for one in step:
                if one.once and one.name in done:
                    continue
                log.info("upgrade step %s (%s)", one.name, plugin)
                with db.atomic():
                    one.run()
                    if one.once:
                        UpgradeStepDone.create(name=one.name, at=clock.now())
    return applied


def pending(app) -> list[str]:
    with db.connection_context():
        return [
            f"{component}: {m.name}"
            for component, directory in migration_sources(app)
            for m in runner(component, directory).status()
            if not m.applied
        ]


db_cli = AppGroup("db", help="Database schema: numbered migrations for the core and every plugin.")


@db_cli.command("upgrade", help="Apply every pending migration.")
def db_upgrade():
    applied = upgrade(current_app)
    for line in applied:
        click.echo(f"applied {line}")
    if not applied:
        click.echo("database is up to date")


@db_cli.command("status", help="List migrations; exit 1 when any is pending or a plugin failed to load.")
def db_status():
    # a plugin that failed to load has its migrations missing from the list: the schema cannot be vouched for
    failed = [info for info in current_app.extensions["xiuhua.plugins"].infos.values() if info.status == "failed"]
    with db.connection_context():
        waiting = False
        for component, directory in migration_sources(current_app):
            for m in runner(component, directory).status():
                mark = "x" if m.applied else " "
                waiting |= not m.applied
                click.echo(f"[{mark}] {component}: {m.name}")
    for info in failed:
        click.echo(f"plugin {info.name} failed to load, so its migrations are not listed: {info.error_summary}")
    raise SystemExit(1 if waiting or failed else 0)
