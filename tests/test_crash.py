"""Issue 19: a server killed with SIGKILL in the middle of a burst of reports loses none it acknowledged.

The real server (`flask --app app serve --no-scheduler`, waitress) runs as a subprocess on a file
database and an instance folder in tmp, migrated and given its users in-process first. Several
collectors log in over real HTTP with CSRF on (the token read from the form, as a browser sends it) and
post reports, each with its own small JPEG, from one thread each. Once enough reports have been
acknowledged (a redirect to the new case), the process is killed with SIGKILL while the others are in
flight, and started again on the same database. Every acknowledged case must then be there: its page
shows it to its collector, its photo comes back byte for byte, its photo row points to a readable file.

SQLite always; PostgreSQL too when XIUHUA_TEST_DATABASE_URL names a test database (it is wiped).
Loopback only; every loop is bounded in count and in time; nothing sleeps (waiting for the port waits on
the process with a timeout)."""

import hashlib
import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image

from core import db as dbmod
from core.testing import BASE_CONFIG
from tests.support import PASSWORD, create_user, csrf_token
from tests.workorder_support import build_city

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
COLLECTORS = ["collector", "other_collector", "collector3", "collector4"]
KILL_AFTER = 24  # acknowledged reports before the kill
PER_THREAD = 150  # the most reports one collector sends: the kill comes long before
START_SECONDS = 60  # for the server to answer on its port
BURST_SECONDS = 120  # for the burst to reach KILL_AFTER acknowledgements


def backends() -> list:
    url = os.environ.get("XIUHUA_TEST_DATABASE_URL")
    skip = pytest.mark.skipif(not url, reason="XIUHUA_TEST_DATABASE_URL is not set")
    return [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=skip)]


# --- a small browser ---------------------------------------------------------------------------------


class Browser:
    """One user's cookies, over http.client to 127.0.0.1; no redirects followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
            if content_type:
                headers["Content-Type"] = content_type
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, data
        finally:
            connection.close()

    def form(self, path: str, fields: dict):
        return self.send("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def login(self, username: str):
        status, _, page = self.send("GET", "/login")
        assert status == 200, status
        status, headers, _ = self.form(
            "/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.decode())}
        )
        assert status == 302 and not headers["Location"].startswith("/login"), (username, status)


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def unique_jpeg(thread: int, number: int) -> bytes:
    """A photo no other report has: a coloured block whose colour encodes (thread, number)."""
    image = Image.new("RGB", (48, 32), ((40 + 50 * thread) % 256, number % 256, (number // 256) * 40 % 256))
    image.putpixel((0, 0), (number % 256, thread, 7))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# --- the server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    env: dict
    log: Path
    process: subprocess.Popen | None = None
    port: int = 0

    def start(self):
        self.port = free_port()
        command = [sys.executable, "-m", "flask", "--app", "app", "serve", "--no-scheduler", "--threads", "8"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                status, _, _ = Browser(self.port).send("GET", "/login")
                if status == 200:
                    return
            except OSError:
                pass
            try:  # waits a little for the process, and notices it if it died
                self.process.wait(timeout=0.1)
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.tail()}")
            except subprocess.TimeoutExpired:
                pass
        pytest.fail(f"the server did not answer on port {self.port} within {START_SECONDS} s:\n{self.tail()}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def prepare(url: str, instance: Path):
    """Migrate the database and make the city and its collectors, as `flask db upgrade` and `flask users
    create` would, before the server first starts."""
    from app import create_app
    from core.responsibility.models import GridAssignment

    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    dbmod.upgrade(app)
    with app.app_context():
        city = build_city()
        with dbmod.db.connection_context():
            community = city.grid.parent
            for name in COLLECTORS[2:]:
                GridAssignment.create(
                    user=create_user(name, "collector", city.users["collector"].department), area=community
                )
    dbmod.db.close()
    return city


# --- the burst ---------------------------------------------------------------------------------------


@dataclass
class Burst:
    acknowledged: list = field(default_factory=list)  # (username, order id, description, sha256)
    unexpected: list = field(default_factory=list)
    interrupted: list = field(default_factory=list)  # threads stopped by the kill
    finished: list = field(default_factory=list)  # threads that sent all PER_THREAD reports
    lock: threading.Condition = field(default_factory=threading.Condition)


def collector_thread(browser: Browser, username: str, index: int, grid_code: str, burst: Burst, count=PER_THREAD):
    """Send up to `count` reports; stop at the first answer that is not an acknowledgement, or when the
    server is gone."""
    try:
        status, _, page = browser.send("GET", "/orders/new")
        token = csrf_token(page.decode())
        for number in range(count):
            photo = unique_jpeg(index, number)
            description = f"崩溃测试 {username} #{number}"
            body, content_type = multipart(
                {"csrf_token": token, "category": "0101", "description": description, "grid": grid_code,
                 "address": "洞庭路1号"},
                [("photos", f"p{number}.jpg", photo)],
            )  # fmt: skip
            status, headers, data = browser.send("POST", "/orders/new", body, content_type)
            found = re.fullmatch(r"/orders/(\d+)", headers.get("Location", "")) if status == 302 else None
            with burst.lock:
                if found:
                    burst.acknowledged.append((username, int(found[1]), description, hashlib.sha256(photo).hexdigest()))
                    burst.lock.notify_all()
                else:
                    burst.unexpected.append((username, number, status, data[:300]))
                    return
        with burst.lock:
            burst.finished.append(username)
    except (OSError, http.client.HTTPException) as error:  # the kill: refused, reset, cut short
        with burst.lock:
            burst.interrupted.append((username, repr(error)))


# --- the test ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", backends())
def test_every_acknowledged_report_survives_a_sigkill(backend, tmp_path, template_databases):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    else:
        url = template_databases.url(tmp_path)  # this worker's own PostgreSQL database, emptied
        template_databases.fresh(url)
    instance = tmp_path / "instance"
    city = prepare(url, instance)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIUHUA_")}
    env.update(XIUHUA_DATABASE_URL=url, XIUHUA_INSTANCE_PATH=str(instance), XIUHUA_SCHEDULER_ENABLED="0")
    server = Server(env, tmp_path / "server.log")
    try:
        server.start()
        browsers = {name: Browser(server.port) for name in COLLECTORS}
        for name, browser in browsers.items():
            browser.login(name)
        burst = Burst()
        threads = [
            threading.Thread(target=collector_thread, args=(browsers[name], name, i, city.grid.code, burst))
            for i, name in enumerate(COLLECTORS)
        ]
        for thread in threads:
            thread.start()
        with burst.lock:
            reached = burst.lock.wait_for(
                lambda: len(burst.acknowledged) >= KILL_AFTER or burst.unexpected, timeout=BURST_SECONDS
            )
        server.kill()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a collector thread did not stop"
        assert not burst.unexpected, f"answers that were not an acknowledgement: {burst.unexpected}\n{server.tail()}"
        assert reached, f"only {len(burst.acknowledged)} reports acknowledged in {BURST_SECONDS} s"
        assert burst.interrupted and not burst.finished, "the kill did not come in the middle of the burst"
        acknowledged = list(burst.acknowledged)

        server.start()  # the same database and instance folder, on a new port; the sessions still hold
        for browser in browsers.values():
            browser.port = server.port
        for username, order_id, description, sha256 in acknowledged:
            status, _, page = browsers[username].send("GET", f"/orders/{order_id}")
            assert status == 200, (username, order_id, status)
            text = page.decode()
            assert description in text, (order_id, description)
            photo_ids = set(re.findall(r"/attachments/(\d+)/", text))
            assert len(photo_ids) == 1, (order_id, photo_ids)
            status, _, original = browsers[username].send("GET", f"/attachments/{photo_ids.pop()}/original")
            assert status == 200 and hashlib.sha256(original).hexdigest() == sha256, (order_id, status)
        # And it goes on taking reports.
        browsers["collector"].cookies.clear()
        browsers["collector"].login("collector")
        after = Burst()
        collector_thread(browsers["collector"], "collector", 9, city.grid.code, after, count=3)
    finally:
        server.stop()
    assert after.finished == ["collector"] and len(after.acknowledged) == 3, after.unexpected
    check_rows(url, instance, acknowledged)


def check_rows(url: str, instance: Path, acknowledged):
    """In the database: each acknowledged case has one report photo whose row points to a readable file
    holding exactly the bytes sent, and no case is without its photo."""
    from app import create_app
    from core import photos
    from core.attachments.models import Attachment
    from core.attachments.service import attachments_of
    from core.workorders.models import WorkOrder

    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    with app.app_context(), dbmod.db.connection_context():
        for _username, order_id, description, sha256 in acknowledged:
            order = WorkOrder.get_by_id(order_id)
            assert order.description == description
            links = attachments_of("workorder", order.id)
            assert [(link.stage, link.photo.sha256) for link in links] == [("report", sha256)], order_id
            original = photos.path(links[0].photo, "original")
            assert hashlib.sha256(original.read_bytes()).hexdigest() == sha256
            with Image.open(original) as image:
                image.verify()
        # A report cut short by the kill is there whole or not at all: no case without its photo.
        bare = (
            WorkOrder.select()
            .where(
                ~WorkOrder.id.in_(
                    Attachment.select(Attachment.subject_id).where(Attachment.subject_kind == "workorder")
                )
            )
            .count()
        )
        assert bare == 0
    dbmod.db.close()
