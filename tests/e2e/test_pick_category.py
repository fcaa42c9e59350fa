"""In Chromium, the collector picks "0410 非机动车乱停放" (an event whose code the component 喷泉 shares)
from the report form's list, and the case is saved as that event, not as the fountain."""

import pytest
from playwright.sync_api import expect

from core.catalogue.importer import import_file
from core.db import db
from core.workorders.models import WorkOrder
from tests.e2e.support import as_user, serving
from tests.support import CATALOGUE_FILES as FILES
from tests.workorder_support import build_city, jpeg


@pytest.fixture
def catalogue_server(make_app, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True)
    build_city()
    with app.app_context(), db.connection_context():
        import_file(FILES["2013"], FILES["2013"].name)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg("red", (320, 240)))
    with serving(app) as url:
        yield app, url, photo


def test_the_event_0410_picked_in_the_browser_is_saved_as_that_event(catalogue_server, make_page):
    app, base, photo = catalogue_server
    collector = as_user(make_page, base, "collector")
    collector.goto(base + "/orders/new")
    collector.locator("#photos-input").set_input_files(str(photo))
    expect(collector.locator(".uploads img")).to_have_count(1)
    collector.locator("#category").fill("0410 非机动车乱停放")
    collector.locator("#description").fill("人行道上乱停放的共享单车")
    collector.locator("#grid").fill("430602001001001 洞庭社区1号网格")
    collector.locator("form.report-form button[type=submit]").click()
    expect(collector.locator(".flash-success")).to_be_visible()
    expect(collector.locator("body")).to_contain_text("非机动车乱停放")
    with app.app_context(), db.connection_context():
        order = WorkOrder.select().order_by(WorkOrder.id.desc()).get()
        assert (order.category.kind, order.category.code, order.category.name) == ("event", "0410", "非机动车乱停放")
