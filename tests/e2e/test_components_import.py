"""The administrator imports the sample census file on the admin page in Chromium and watches the
background import finish; the components are then listed."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import db as dbmod
from core import demo
from tests.e2e.support import log_in, serving

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "components" / "sample.csv"


@pytest.fixture
def demo_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context(), dbmod.db.connection_context():
        demo.load(app)  # in an app context: the grids, the catalogue and the census come with it
    with serving(app) as url:
        yield url


def test_admin_imports_the_sample_census_and_sees_the_count(demo_server, page):
    log_in(page, demo_server, "admin", demo.DEMO_PASSWORD)

    page.goto(demo_server + "/components/import")
    page.locator("#import-form input[type=file]").set_input_files(str(SAMPLE))
    page.locator("#import-form button[type=submit]").click()
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=60_000)
    expect(page.locator("td[data-count=created]")).to_have_text("20")
    expect(page.locator("td[data-count=unchanged]")).to_have_text("0")

    page.goto(demo_server + "/components/")
    expect(page.locator("#component-total")).to_contain_text("3020")  # the demo's 3000 and the sample's 20
    page.locator("input[name=q]").fill("4306020101900013")
    expect(page.locator("#component-total")).to_contain_text("1")
    page.locator("#component-rows a", has_text="4306020101900013").click()
    expect(page.locator("#component-status")).to_be_visible()
    expect(page.locator("#status-history tbody tr")).to_have_count(1)
