"""The shift leader files a case under another category than the collector chose: the other category's
filing-standard rows load in place (htmx), the case is filed under it and suggested for its department."""

import pytest
from playwright.sync_api import expect

from core.db import db
from core.workorders.models import WorkOrder
from tests.e2e.support import as_user, serving
from tests.workorder_support import build_city, other_category, report


@pytest.fixture
def filed_elsewhere(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    with app.app_context(), db.connection_context():
        other_category(city)
        order = report(city)
    with serving(app) as url:
        yield app, url, city, order


def test_a_case_is_filed_under_another_category_picked_on_its_page(filed_elsewhere, make_page):
    app, base, city, order = filed_elsewhere
    leader = as_user(make_page, base, "shift_leader")
    leader.goto(f"{base}/orders/{order.id}")
    leader.locator("details summary", has_text="立案").first.click()
    form = leader.locator("details[open] form")
    form.locator("summary", has_text="选择其他类别").click()
    form.locator("#file-category").fill("0102 绿地脏乱")
    choice = form.locator("#other-standards input[name=standard]")
    expect(choice).to_have_count(1)
    choice.check()
    form.locator("button[type=submit]").click()
    expect(leader.locator(".flash-success")).to_be_visible()
    with app.app_context(), db.connection_context():
        filed = WorkOrder.get_by_id(order.id)
    assert filed.status == "filed" and filed.category.code == "0102"
    assert filed.suggested_department_id == city.landscaping.id
