"""Real-browser fixtures: the app with the demo city, served over HTTP by waitress in a background
thread, and Debian's Chromium driven by Playwright. No sleeping anywhere: Playwright's `expect`
auto-waits for the page to reach the asserted state."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.support import serving

HERE = Path(__file__).resolve().parent

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


def pytest_collection_modifyitems(items):
    """Every test in this folder drives a browser: marked `e2e`, so that `pytest -m "not e2e"` leaves
    them out."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


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
