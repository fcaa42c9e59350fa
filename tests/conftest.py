"""Fixtures in the Flask-tutorial style: an app on a fresh database per test, a client, and a
logged-in client per role. They come from the plugin test kit, core/testing.py (`app`, `client`,
`users`, `login_as`, `frozen_clock`, `xiuhua_app`), under the names these tests have always used.
Against SQLite by default; against PostgreSQL when XIUHUA_TEST_DATABASE_URL names a server database
(whose name must contain "test": it is wiped)."""

import pytest

pytest_plugins = ["core.testing"]


@pytest.fixture
def make_app(xiuhua_app):
    """Build an app on a fresh, migrated database; extra config as keyword arguments. A second
    app in the same test shares the first one's database (as a restarted process would)."""
    return xiuhua_app


@pytest.fixture
def app(make_app):
    """The kit's `app`, built through `make_app` so that a module overriding `make_app` (say, to
    force English) gets its `app`, `users` and `as_role` that way too."""
    return make_app()


@pytest.fixture
def as_role(login_as):
    """as_role("dispatcher") → a test client logged in as that role's user."""
    return login_as


@pytest.fixture
def csrf_app(make_app):
    """An app with CSRF protection on, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def demo_app(app, load_demo):
    load_demo(app)
    return app
