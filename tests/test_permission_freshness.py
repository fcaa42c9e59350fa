"""Nothing about a user's rights outlives the request that read them: a role's permission revoked (or a
user disabled) through one app instance is enforced on the very next request by another instance on the
same database, a separate process serving real HTTP whose threads keep their SQLite connection open
from one request to the next."""

import http.cookiejar
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from core.db import db
from core.org import User
from core.testing import BASE_CONFIG, PASSWORD

ROOT = Path(__file__).resolve().parent.parent

SERVER = """
import json, sys
from waitress import create_server
from app import create_app

app = create_app(json.loads(sys.argv[1]))
server = create_server(app, host="127.0.0.1", port=0, threads=2)
print(server.effective_port, flush=True)
server.run()
"""


@pytest.fixture
def other_instance(app, users):
    """The base URL of a second instance of the app, in its own process, on the same database."""
    config = {**BASE_CONFIG, "DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, json.dumps(config)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


class Browser:
    """A logged-in user of the other instance: cookies kept, redirects not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base, username):
        self.base = base
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies, self._NoRedirect)
        assert self.status("/login", {"username": username, "password": PASSWORD}) == 302

    def status(self, path, form=None) -> int:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_a_revoked_permission_is_refused_on_the_next_request_in_another_instance(app, as_role, other_instance):
    leader = Browser(other_instance, "leader")
    assert leader.status("/admin/audit") == 200
    assert leader.status("/admin/audit") == 200  # the same thread, its connection kept open
    with app.app_context(), db.connection_context():
        from core.org import Role

        role_id = Role.get(Role.code == "leader").id
    admin = as_role("admin")
    assert admin.post(f"/admin/roles/{role_id}/grant", data={"permission": "admin.audit"}).status_code == 200
    assert leader.status("/admin/audit") == 403
    assert (
        admin.post(f"/admin/roles/{role_id}/grant", data={"permission": "admin.audit", "granted": "on"}).status_code
        == 200
    )
    assert leader.status("/admin/audit") == 200


def test_a_disabled_user_is_logged_out_on_the_next_request_in_another_instance(app, other_instance):
    leader = Browser(other_instance, "leader")
    assert leader.status("/admin/audit") == 200
    with app.app_context(), db.connection_context():
        User.update(active=False).where(User.username == "leader").execute()
    assert leader.status("/admin/audit") == 302  # to the login page
