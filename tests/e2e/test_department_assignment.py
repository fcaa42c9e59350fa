"""A department's head assigns a case to one of its handlers in Chromium; the handler opens the case
list and finds it first, in "assigned to me", and is told of it by a notification."""

import pytest
from playwright.sync_api import expect

from core import clock
from core.db import db
from core.testing import START, create_user
from tests.e2e.support import as_user, serving
from tests.workorder_support import build_city, report, to_dispatched


@pytest.fixture
def assignment_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    create_user("handler2", "handler", city.sanitation, name="二号处置员")
    with app.app_context(), db.connection_context(), clock.frozen(START):
        order = to_dispatched(city, report(city))
    with serving(app) as url:
        yield url, order


def test_the_head_assigns_a_case_and_the_handler_finds_it_in_their_inbox(assignment_server, make_page):
    base, order = assignment_server
    case_url = f"{base}/orders/{order.id}"

    head = as_user(make_page, base, "dept_head")
    head.goto(case_url)
    assign = head.locator("details", has=head.locator("input[name=action][value=assign]"))
    assign.locator("summary").click()
    assign.locator("select[name=assignee]").select_option(label="二号处置员")
    assign.locator("button[type=submit]").click()
    expect(head.locator(".flash-success")).to_be_visible()
    expect(head.locator("#order-assignee")).to_have_text("二号处置员")
    expect(head.locator(".timeline")).to_contain_text("二号处置员")

    handler = as_user(make_page, base, "handler2")
    handler.goto(base + "/orders/")
    expect(handler.locator("nav.tabs a[aria-current=page]")).to_have_attribute("href", "/orders/?box=assigned")
    expect(handler.locator("table.orders tbody a", has_text=order.number)).to_be_visible()
    handler.goto(base + "/notifications")
    expect(handler.locator("main")).to_contain_text(order.number)
