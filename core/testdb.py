"""Template databases for the test kit: migrate once per set of plugins, then copy per test.

`flask db upgrade` on an empty database, and the demo city on top of it, give the same rows every time
for the same code and configuration. So the kit runs each once per test process and keeps the result as a
template: an SQLite file (copied per test) or a PostgreSQL database (`CREATE DATABASE … TEMPLATE`).
What the result depends on is the key: the migrations that ran and what the plugins registered for
`upgrade` (permissions, roles, categories); for the demo also its settings and today's date.

PostgreSQL: XIUHUA_TEST_DATABASE_URL names a database whose name contains "test"; each test gets a new one
beside it (`<name>_gw0_17`: worker, then a counter), made from a template through the server's `postgres`
database, so the role needs the CREATEDB attribute. A finished test's database is dropped in the
background; the templates and whatever is left are dropped when the session ends."""

import hashlib
import os
import queue
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from core import clock
from core import db as dbmod

DEMO_KEYS = ("DEMO_HISTORY_DAYS", "DEMO_CASES_PER_DAY", "DEMO_COMPONENTS", "CATALOGUE_EDITION", "BABEL_DEFAULT_LOCALE")


def upgrade_key(app) -> str:
    """What an upgraded empty database depends on, as a short digest."""
    host = app.extensions["xiuhua.plugins"]
    parts = [repr(dbmod.migration_sources(app)), app.config.get("CATALOGUE_EDITION")]
    for hook in ("register_permissions", "register_roles", "register_categories"):
        parts.append(repr(sorted((plugin, repr(item)) for plugin, item in host.items(hook))))
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:16]


def demo_key(app) -> str:
    parts = [upgrade_key(app), clock.now().date().isoformat(), *(repr(app.config.get(k)) for k in DEMO_KEYS)]
    return "demo-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _close():
    if not dbmod.db.is_closed():
        dbmod.db.close()


class SqliteTemplates:
    def __init__(self, folder: Path):
        self.folder = folder

    def url(self, tmp_path) -> str:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"

    def fresh(self, url):
        _close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{dbmod.db.obj.database}{suffix}").unlink(missing_ok=True)

    def restore(self, key: str, app) -> bool:
        source = self.folder / f"{key}.sqlite3"
        if not source.exists():
            return False
        _close()
        target = Path(dbmod.db.obj.database)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return True

    def store(self, key: str, app):
        dbmod.db.connect(reuse_if_open=True)
        dbmod.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        _close()
        partial = self.folder / f"{key}.partial"
        shutil.copyfile(dbmod.db.obj.database, partial)
        partial.replace(self.folder / f"{key}.sqlite3")


class PostgresTemplates:
    """A new database for every test (`<name>_<n>`), made from a template; a finished test's database is
    dropped in the background, so no test waits for a DROP DATABASE."""

    def __init__(self, url: str):
        self.base = urlparse(url)
        name = self.base.path.lstrip("/")
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        self.name = f"{name}_{worker}" if worker else name
        self.templates: set[str] = set()
        self.made = 0
        self.live: set[str] = set()
        self.finished: queue.Queue = queue.Queue()
        if not self._admin("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]:
            raise RuntimeError(
                "XIUHUA_TEST_DATABASE_URL: the tests make a database per test from templates; "
                "give the role CREATEDB (ALTER ROLE … CREATEDB)"
            )
        self.dropper = threading.Thread(target=self._drop_finished, name="testdb-dropper", daemon=True)
        self.dropper.start()

    def _admin(self, sql: str):
        """Run one statement on the server's `postgres` database, outside any transaction."""
        import psycopg2

        connection = psycopg2.connect(urlunparse(self.base._replace(path="/postgres")))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def _drop_finished(self):
        while (name := self.finished.get()) is not None:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as error:  # a database left behind is dropped with the next run's; never hang
                print(f"testdb: could not drop {name}: {error}")
            finally:
                self.finished.task_done()
        self.finished.task_done()

    def url(self, tmp_path) -> str:
        self.made += 1
        name = f"{self.name}_{self.made}"
        self.live.add(name)
        return urlunparse(self.base._replace(path=f"/{name}"))

    @staticmethod
    def _name(url: str) -> str:
        return urlparse(url).path.lstrip("/")

    def release(self, url: str):
        name = self._name(url)
        if name in self.live:
            self.live.discard(name)
            self.finished.put(name)

    def fresh(self, url):
        _close()
        name = self._name(url)
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}"')

    def _template(self, key: str) -> str:
        return f"{self.name}_t_{key}"[:63]

    def restore(self, key: str, app) -> bool:
        template = self._template(key)
        if template not in self.templates:
            return False
        _close()
        name = self._name(app.config["DATABASE_URL"])
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return True

    def store(self, key: str, app):
        _close()
        template = self._template(key)
        self._admin(f'DROP DATABASE IF EXISTS "{template}"')
        self._admin(f'CREATE DATABASE "{template}" TEMPLATE "{self._name(app.config["DATABASE_URL"])}"')
        self.templates.add(template)

    def drop_all(self):
        for name in list(self.live):
            self.release(urlunparse(self.base._replace(path=f"/{name}")))
        self.finished.put(None)
        self.finished.join()
        for template in self.templates:
            self._admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


class Templates:
    """The kit's databases: `url(tmp_path)` for a test, `migrated(app)` for its first app, `demo(app)`."""

    def __init__(self, folder: Path):
        self.folder = folder
        server = os.environ.get("XIUHUA_TEST_DATABASE_URL")
        if server and "test" not in urlparse(server).path:
            raise RuntimeError("XIUHUA_TEST_DATABASE_URL must name a database with 'test' in its name: tests wipe it")
        self.kind = PostgresTemplates(server) if server else SqliteTemplates(folder)

    def url(self, tmp_path) -> str:
        return self.kind.url(tmp_path)

    def fresh(self, url: str):
        """Make the test's database empty (for a test that migrates it itself)."""
        self.kind.fresh(url)

    def release(self, url: str):
        """The test that had `url` is over: its database may go."""
        if isinstance(self.kind, PostgresTemplates):
            self.kind.release(url)

    def migrated(self, app):
        """Give the test's first app a database as `flask db upgrade` leaves an empty one, from a template
        when there is one."""
        key = upgrade_key(app)
        if not self.kind.restore(key, app):
            self.kind.fresh(app.config["DATABASE_URL"])
            dbmod.upgrade(app)
            self.kind.store(key, app)

    def demo(self, app):
        """Load the demo city into the test's database, from a template if one exists."""
        from core import demo
        from core.grids.index import invalidate as invalidate_grids
        from core.worktime import deadlines

        key = demo_key(app)
        photos = Path(app.instance_path, app.config["PHOTO_DIR"])
        kept_photos = self._photo_folder(key)
        if self.kind.restore(key, app) and kept_photos.is_dir():
            shutil.copytree(kept_photos, photos, dirs_exist_ok=True)
            with app.app_context():
                invalidate_grids()
            deadlines.invalidate()
            return
        with app.app_context(), dbmod.db.connection_context():
            demo.load(app)
        shutil.rmtree(kept_photos, ignore_errors=True)
        if photos.is_dir():
            shutil.copytree(photos, kept_photos)
        else:
            kept_photos.mkdir(parents=True)
        self.kind.store(key, app)

    def _photo_folder(self, key: str) -> Path:
        return self.folder / f"{key}-photos"

    def close(self):
        if isinstance(self.kind, PostgresTemplates):
            self.kind.drop_all()
