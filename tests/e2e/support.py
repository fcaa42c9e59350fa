"""What the browser tests share: serving an app over real HTTP, and logging in as a person does."""

import contextlib
import re
import threading

from playwright.sync_api import Page, expect
from waitress import create_server

from core import db as dbmod
from core.testing import PASSWORD

PHONE = {"width": 390, "height": 844}


@contextlib.contextmanager
def serving(app):
    """Serve `app` over real HTTP with waitress on a free port; yields the base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-e2e", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:

        def stop():
            # Runs inside the server's own loop thread (via its trigger), so the socket map is not
            # changed under a running select(). Keep-alive connections the browser left are closed
            # too; with the map empty, the loop and thus server.run() return.
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()

        server.trigger.pull_trigger(stop)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the waitress thread did not stop"
        if not dbmod.db.is_closed():
            dbmod.db.close()


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD, path: str = "/login"):
    """Open the login page (`path`, say with a `next`), type the name and password, press the button and
    wait until the browser has left the login page."""
    page.goto(base_url + path)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button.primary").click()
    expect(page).not_to_have_url(re.compile(re.escape(base_url) + r"/login(\?|$)"))


def as_user(make_page, base_url: str, username: str, password: str = PASSWORD, **options) -> Page:
    """A fresh page (`make_page(**options)`) logged in as `username`."""
    page = make_page(**options)
    log_in(page, base_url, username, password)
    return page


def take_a_hotline_call(make_page, base) -> str:
    """The intake operator takes a call about rubbish in grid 430602001001001 in a browser; its case number."""
    intake = as_user(make_page, base, "intake")
    intake.goto(base + "/orders/intake")
    intake.locator("#caller_phone").fill("13800000000")
    intake.locator("#description").fill("路边垃圾堆积，无人清理")
    intake.locator("#address").fill("洞庭路88号")
    intake.locator("#grid").fill("430602001001001")
    intake.locator("#category").fill("0101")
    intake.locator("form button.primary").click()
    number = intake.locator("section.card strong").first.inner_text()
    assert number.startswith("20")
    return number
