"""The dashboard in Chromium: the charts are drawn, and a case taken by the hotline in another
session appears in the live feed without the page being reloaded (htmx polling, every second here)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core import clock
from core.db import db
from tests.e2e.support import as_user, serving, take_a_hotline_call
from tests.workorder_support import act, build_city, report

# True once the chart in `selector` is drawn and its canvas has a non-transparent pixel. Polled by
# wait_for_function: the widgets replace themselves every second, and a canvas just swapped in is
# blank until htmx:load has run.
CHART_DRAWN = """selector => {
  const canvas = document.querySelector(selector + " canvas");
  if (!canvas || canvas.dataset.drawn !== "true" || !canvas.width) return false;
  const {data} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}"""


@pytest.fixture
def dashboard_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, DASHBOARD_REFRESH_SECONDS=1)
    city = build_city()
    with app.app_context(), db.connection_context():
        yesterday = clock.now() - timedelta(days=1)
        with clock.frozen(yesterday.replace(hour=9, minute=0, second=0)):
            for _ in range(3):
                report(city)
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    with serving(app) as url:
        yield url


def test_charts_are_drawn_and_the_feed_updates_without_a_reload(dashboard_server, make_page):
    base = dashboard_server
    board = as_user(make_page, base, "dispatcher")
    board.goto(base + "/")
    board.wait_for_function(CHART_DRAWN, arg="#dash-trend")
    board.wait_for_function(CHART_DRAWN, arg="#dash-top")
    expect(board.locator("#dash-today dd").first).to_have_text("1")  # reported today
    board.evaluate("window.notReloaded = true")
    board.evaluate("document.querySelector('#dash-trend canvas').dataset.first = 'yes'")
    first_update = board.locator("#dash-feed").get_attribute("data-updated")

    number = take_a_hotline_call(make_page, base)

    expect(board.locator("#dash-feed")).to_contain_text(number)
    assert board.evaluate("window.notReloaded === true"), "the page was reloaded"
    assert board.locator("#dash-feed").get_attribute("data-updated") != first_update
    # The polled trend widget replaced itself meanwhile; its new chart is drawn too.
    expect(board.locator("#dash-trend canvas")).not_to_have_attribute("data-first", "yes")
    board.wait_for_function(CHART_DRAWN, arg="#dash-trend")
    expect(board.locator("#dash-today dd").first).to_have_text("2")

    # Away and back through the boosted navigation (no full page load): the charts are drawn again.
    board.locator(".mainnav a[href='/orders/']").click()
    expect(board.locator("#dash-trend")).to_have_count(0)
    board.locator(".mainnav a[href='/']").click()
    board.wait_for_function(CHART_DRAWN, arg="#dash-trend")
    board.wait_for_function(CHART_DRAWN, arg="#dash-top")
    assert board.evaluate("window.notReloaded === true"), "the navigation reloaded the page"
