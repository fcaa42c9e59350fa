"""The test kit: pytest fixtures for testing Xiuhua and its plugins. A plugin's test module (or its
conftest.py) loads it with

    pytest_plugins = ["core.testing"]

and then has:

- `xiuhua_app(plugins_dir=None, **config)`: a factory building an application on a fresh, migrated
  database (`flask db upgrade` has run: the core's and every plugin's migrations, roles, permissions
  and categories). A second app in the same test shares the first one's database, as a restarted
  process would. Requests from 127.0.0.1, as the test client's are, are not throttled
  (THROTTLE_EXEMPT_LOOPBACK); pass `THROTTLE_EXEMPT_LOOPBACK=False` to test throttling. SQLite in the test's temporary folder by default; PostgreSQL when
  XIUHUA_TEST_DATABASE_URL names a server database whose name contains "test" (it is wiped).
- `load_demo(app)`: the demo city in that app's database, as `flask demo load` makes it.
- `app`: `xiuhua_app()`; override it to load your plugin, e.g. `return xiuhua_app(PLUGINS)`.
- `client`: a test client of `app`, logged out.
- `users`: one user per built-in role, named after the role (password `PASSWORD`).
- `login_as(role)`: a test client logged in as that role's user (a username from `users`).
- `frozen_clock`: `core.clock.now()` stands still at `START` until you `set()` or `advance()` it. Sessions
  expire after SESSION_IDLE_MINUTES of that clock too: log in again after a long jump.
- `run_job(job_id)`: run one of `app`'s jobs now and get its `JobRun` (outcome, summary, error).
- `english_app`: an app whose default language is English; `english_xiuhua_app(plugins_dir=None,
  **config)` builds more. `client_for` puts its users' sessions in English too.
- `in_db(app, fn)`: run `fn()` as core code runs in a request (inside the app's application context and
  a database connection) and return its result, e.g. `in_db(app, lambda: Flyer.select().count())`.
- `client_for(app, username)`: a test client of `app` logged in as that user (any user, not only a
  role's), in the app's default language.
- `city`: a small city (core/testcity.py) on `app`: departments `city.sanitation` and
  `city.landscaping`, grids `city.grid` and `city.other_grid`, category `city.category` with its filing
  standard `city.standard`, and one user per role in `city.users` (it makes its own users: take `city`
  or `users`, not both).
- `photo`: a small valid JPEG stored as a `Photo` by the city's collector.
- `case`: a work order the city's collector reported in `city.grid` (status "reported").

Import nothing from this module in a test file that lists it in `pytest_plugins` (pytest could then
not rewrite its asserts); take everything as fixtures."""

import contextlib
from datetime import datetime, timedelta

import pytest
from werkzeug.security import generate_password_hash

from core import clock, scheduler, testdb
from core import db as dbmod

PASSWORD = "correct-horse-9"
# The kit's users get a one-round hash: scrypt costs 0.12 s of CPU at every login by design, and the suite
# logs in thousands of times. Passwords set through the app (set_password, the demo) are hashed as in production.
PASSWORD_HASH = generate_password_hash(PASSWORD, "pbkdf2:sha256:1")
ROLES = ["admin", "intake", "shift_leader", "dispatcher", "collector", "handler", "dept_head", "evaluator", "leader"]
START = datetime(2026, 3, 2, 9, 0)  # a Monday morning, a working day

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-1234",
    "WTF_CSRF_ENABLED": False,
    "SCHEDULER_ENABLED": False,
    "DEMO_HISTORY_DAYS": 2,  # the demo city's simulated history, kept small
    "THROTTLE_EXEMPT_LOOPBACK": True,  # the test client logs in from 127.0.0.1 again and again
}
ENGLISH = {"BABEL_DEFAULT_LOCALE": "en"}


def create_user(username, role_code=None, department=None, password=PASSWORD, **fields):
    from core.org import Role, User, UserRole

    with dbmod.db.connection_context():
        user = User(username=username, name=fields.pop("name", username.title()), department=department, **fields)
        user.password_hash = PASSWORD_HASH if password == PASSWORD else generate_password_hash(password)
        user.save()
        if role_code:
            UserRole.create(user=user, role=Role.get(Role.code == role_code))
        return user


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def in_db(app, fn):
    """Run fn() inside `app`'s application context and a database connection, as core code runs in a
    request, and return its result."""
    with app.app_context(), dbmod.db.connection_context():
        return fn()


def client_for(app, username, password=PASSWORD):
    """A test client of `app` logged in as `username`. A user's own language is Chinese until they pick
    another: in an app whose default language is not, the session switches to the app's."""
    client = app.test_client()
    response = login(client, username, password)
    assert response.status_code == 302, response.data
    language = app.config["BABEL_DEFAULT_LOCALE"]
    if language != "zh_CN":
        client.post("/lang", data={"lang": language})
    return client


class FrozenClock:
    """What `core.clock.now()` answers during a test; `set` and `advance` move it."""

    def __init__(self, stack: contextlib.ExitStack, at: datetime):
        self._stack = stack
        self.set(at)

    def set(self, at: datetime) -> datetime:
        self._stack.enter_context(clock.frozen(at))
        self.now = at
        return at

    def advance(self, delta: timedelta | None = None, **kwargs) -> datetime:
        """advance(timedelta(hours=2)) or advance(days=1)."""
        return self.set(self.now + (delta or timedelta(**kwargs)))


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory):
    """The session's template databases (core/testdb.py): each set of plugins is migrated once."""
    templates = testdb.Templates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.close()


@pytest.fixture
def xiuhua_app(tmp_path, template_databases):
    """xiuhua_app(plugins_dir=None, **config) → an app on a fresh, migrated database."""
    url = template_databases.url(tmp_path)
    made = []

    def factory(plugins_dir=None, **overrides):
        from app import create_app

        config = {**BASE_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")}
        if plugins_dir is not None:
            config["PLUGINS_DIR"] = str(plugins_dir)
        config.update(overrides)
        application = create_app(config)
        if made:
            dbmod.upgrade(application)  # a restart: what the new code brings is migrated in
        else:
            template_databases.migrated(application)
        made.append(application)
        return application

    yield factory
    if not dbmod.db.is_closed():
        dbmod.db.close()
    template_databases.release(url)


@pytest.fixture
def english_xiuhua_app(xiuhua_app):
    """english_xiuhua_app(plugins_dir=None, **config) → xiuhua_app with English as the default language."""
    return lambda plugins_dir=None, **config: xiuhua_app(plugins_dir, **{**ENGLISH, **config})


@pytest.fixture
def english_app(english_xiuhua_app):
    return english_xiuhua_app()


@pytest.fixture
def load_demo(template_databases):
    """load_demo(app): the demo city in `app`'s database, as `flask demo load` makes it (from a template
    after the first time in a test session)."""
    return template_databases.demo


@pytest.fixture
def app(xiuhua_app):
    return xiuhua_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(app):
    """One user per built-in role, named after the role, in a department of the right kind."""
    from core.org import Department

    with dbmod.db.connection_context():
        centre = Department.create(name="指挥中心", code="command", type="command")
        sanitation = Department.create(name="环卫处", code="sanitation", type="professional")
    made = {}
    for role in ROLES:
        dept = sanitation if role in ("handler", "dept_head") else centre
        made[role] = create_user(role, role, dept)
    return made


@pytest.fixture
def login_as(app, users):
    """login_as("dispatcher") → a test client logged in as that role's user."""

    def make(role):
        c = app.test_client()
        response = login(c, role)
        assert response.status_code == 302, response.data
        return c

    return make


@pytest.fixture
def run_job(app):
    """run_job("plugin.job") → run that registered job of `app` now, as "Run now" on /admin/jobs does,
    and return its JobRun (outcome, summary, error)."""
    return lambda job_id: scheduler.run_job(app, job_id, "manual")


@pytest.fixture
def frozen_clock():
    with contextlib.ExitStack() as stack:
        yield FrozenClock(stack, START)


@pytest.fixture(name="in_db")
def in_db_fixture():
    """in_db(app, fn) → fn()'s result, run inside the app's context and a database connection."""
    return in_db


@pytest.fixture(name="client_for")
def client_for_fixture():
    """client_for(app, username) → a test client logged in as that user, in the app's default language."""
    return client_for


@pytest.fixture
def city(app):
    """A small city (core/testcity.py): departments, grids, a category and one user per role."""
    from core import testcity

    return testcity.build_city()


@pytest.fixture
def photo(app, city):
    """A small valid JPEG stored as a Photo by the city's collector."""
    from core import testcity

    return in_db(app, lambda: testcity.photo(city.users["collector"]))


@pytest.fixture
def case(app, city):
    """A work order reported by the city's collector in city.grid."""
    from core import testcity

    return in_db(app, lambda: testcity.report(city))
