"""Helpers shared by the tests (fixtures live in conftest.py)."""

import re
from pathlib import Path

from werkzeug.security import generate_password_hash

from core import db as dbmod
from core.org import Role, User, UserRole

PLUGIN_SETS = Path(__file__).resolve().parent / "plugin_sets"
GOOD_PLUGINS = str(PLUGIN_SETS / "xh_good")  # "recorder": implements every hook
BROKEN_PLUGINS = str(PLUGIN_SETS / "xh_broken")  # fails at import, at registration, and in menu_items
PASSWORD = "correct-horse-9"
PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashed once: scrypt is slow by design
ROLES = ["admin", "intake", "shift_leader", "dispatcher", "collector", "handler", "dept_head", "evaluator", "leader"]


def create_user(username, role_code=None, department=None, password=PASSWORD, **fields):
    with dbmod.db.connection_context():
        user = User(username=username, name=fields.pop("name", username.title()), department=department, **fields)
        user.password_hash = PASSWORD_HASH if password == PASSWORD else generate_password_hash(password)
        user.save()
        if role_code:
            UserRole.create(user=user, role=Role.get(Role.code == role_code))
        return user


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def seen(client, url: str) -> str:
    """The `seen` fingerprint an edit form carries, as a browser would send it back."""
    match = re.search(r'id="seen" name="seen" type="hidden" value="([^"]*)"', client.get(url).get_data(as_text=True))
    assert match, f"no seen field on {url}"
    return match.group(1)
