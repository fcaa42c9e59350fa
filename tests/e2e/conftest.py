"""Real-browser fixtures: the app with the demo city, served over HTTP by waitress in a background
thread, and Debian's Chromium driven by Playwright. No sleeping anywhere: Playwright's `expect`
auto-waits for the page to reach the asserted state."""

import contextlib
import threading

import pytest
from playwright.sync_api import sync_playwright
from waitress import create_server

from core import db as dbmod

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}


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


@pytest.fixture
def live_server(make_app, load_demo):
    """The base URL of the app (real CSRF, demo city loaded) served by waitress on a free port."""
    app = make_app(WTF_CSRF_ENABLED=True)
    load_demo(app)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def make_page(browser):
    """make_page(**context_options) → a page in a fresh context (no cookies carried over), Chinese
    locale and a desktop viewport unless overridden. Contexts are closed after the test."""
    contexts = []

    def factory(**options):
        context = browser.new_context(**{"locale": "zh-CN", "viewport": DESKTOP, **options})
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    """A fresh desktop-sized (1280x800) page, Chinese locale."""
    return make_page()
