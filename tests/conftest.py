"""Fixtures in the Flask-tutorial style: an app on a fresh database per test, a client, and a
logged-in client per role. Against SQLite by default; against PostgreSQL when
XIUHUA_TEST_DATABASE_URL names a server database (whose name must contain "test": it is wiped)."""

import os
from urllib.parse import urlparse

import pytest

from app import create_app
from core import db as dbmod
from core import demo
from core.org import Department
from tests.support import ROLES, create_user, login


def database_url(tmp_path) -> str:
    url = os.environ.get("XIUHUA_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if "test" not in urlparse(url).path:
        raise RuntimeError("XIUHUA_TEST_DATABASE_URL must name a database with 'test' in its name: tests wipe it")
    return url


def wipe(url: str):
    if url.startswith("postgres"):
        database = dbmod.open_database(url)
        with database.connection_context():
            database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        database.close()


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh, migrated database; extra config as keyword arguments. A second
    app in the same test shares the first one's database (as a restarted process would)."""
    url = database_url(tmp_path)
    wipe(url)

    def factory(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-1234",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "SCHEDULER_ENABLED": False,
            "DEMO_HISTORY_DAYS": 2,  # the demo city's simulated history, kept small
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
        config.update(overrides)
        application = create_app(config)
        dbmod.upgrade(application)
        return application

    return factory


@pytest.fixture
def app(make_app):
    application = make_app()
    yield application
    if not dbmod.db.is_closed():
        dbmod.db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(make_app):
    """An app with CSRF protection on, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def users(app):
    """One user per built-in role, named after the role, in a department of the right kind."""
    with dbmod.db.connection_context():
        centre = Department.create(name="指挥中心", code="command", type="command")
        sanitation = Department.create(name="环卫处", code="sanitation", type="professional")
    made = {}
    for role in ROLES:
        dept = sanitation if role in ("handler", "dept_head") else centre
        made[role] = create_user(role, role, dept)
    return made


@pytest.fixture
def as_role(app, users):
    """as_role("dispatcher") → a test client logged in as that role's user."""

    def make(role):
        c = app.test_client()
        response = login(c, role)
        assert response.status_code == 302, response.data
        return c

    return make


@pytest.fixture
def demo_app(app):
    with dbmod.db.connection_context():
        demo.load(app)
    return app
