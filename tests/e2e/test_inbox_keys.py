"""A dispatcher works the demo city's case list from the keyboard in Chromium (issue 11): j / k move a
highlight, Enter opens the case, x ticks it for dispatch, / goes to the search, ? shows the keys; not
while typing; still after htmx swaps the rows. Then a column sort and a saved filter."""

import re

import pytest
from playwright.sync_api import expect

from core import db as dbmod
from core import demo
from core.workorders.models import WorkOrder
from tests.e2e.support import log_in, serving


@pytest.fixture
def city_with_cases_to_dispatch(make_app, load_demo):
    """The demo city served, with its three newest cases awaiting dispatch (the demo's history may leave
    none there at a given hour, or none reported still)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    load_demo(app)
    with app.app_context(), dbmod.db.connection_context():
        newest = WorkOrder.select(WorkOrder.id).order_by(WorkOrder.id.desc()).limit(3)
        WorkOrder.update(status="filed").where(WorkOrder.id.in_([o.id for o in newest])).execute()
    with serving(app) as url:
        yield url


def test_dispatcher_moves_through_the_inbox_with_j_k_and_opens_a_case_with_enter(city_with_cases_to_dispatch, page):
    live_server = city_with_cases_to_dispatch
    log_in(page, live_server, "dispatcher", demo.DEMO_PASSWORD)
    page.goto(live_server + "/orders/?box=to_dispatch")
    rows = page.locator("#order-rows tbody tr")
    # x ticks the highlighted row's dispatch checkbox, and again unticks it
    page.keyboard.press("j")
    box = rows.nth(0).locator("input[type=checkbox]")
    page.keyboard.press("x")
    expect(box).to_be_checked()
    page.keyboard.press("x")
    expect(box).not_to_be_checked()

    page.goto(live_server + "/orders/?box=open")
    expect(rows.nth(2)).to_be_visible()
    highlighted = page.locator("#order-rows tbody tr.key-current")
    expect(highlighted).to_have_count(0)
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bkey-current\b"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bkey-current\b"))
    expect(highlighted).to_have_count(1)

    # ? shows the keys; / goes to the search, where j and k are letters typed
    page.keyboard.press("?")
    expect(page.locator("#inbox-keys-help")).to_be_visible()
    page.keyboard.press("/")
    search = page.locator("#order-search")
    expect(search).to_be_focused()
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bkey-current\b"))  # typing moved nothing
    expect(page).to_have_url(re.compile(r"q=jk"))  # the rows were swapped by htmx
    search.fill("")
    expect(page).not_to_have_url(re.compile(r"q=jk"))
    expect(rows.nth(1)).to_be_visible()

    # after the swap: the keys still work, on the new rows
    page.locator("h1").click()  # leave the search field
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bkey-current\b"))
    number = rows.nth(1).locator("a").first.inner_text()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("main")).to_contain_text(number)


def test_dispatcher_sorts_by_a_column_and_saves_the_filter(live_server, page):
    log_in(page, live_server, "dispatcher", demo.DEMO_PASSWORD)
    page.goto(live_server + "/orders/?box=all")
    page.locator("select[name=source]").select_option("hotline")
    expect(page).to_have_url(re.compile(r"source=hotline"))
    page.locator("#order-rows thead a.sort", has_text="编号").click()
    expect(page).to_have_url(re.compile(r"sort=number"))
    head = page.locator("#order-rows thead th[aria-sort]")
    expect(head).to_have_attribute("aria-sort", "ascending")
    page.locator("#order-rows thead a.sort", has_text="编号").click()
    expect(page).to_have_url(re.compile(r"sort=-number"))
    expect(head).to_have_attribute("aria-sort", "descending")
    numbers = page.locator("#order-rows tbody tr td:nth-child(1) a").all_inner_texts()
    assert numbers == sorted(numbers, reverse=True) and numbers

    page.locator("form.save-filter input[name=name]").fill("热线倒序")
    page.locator("form.save-filter button", has_text=re.compile(r".+")).first.click()
    saved = page.locator("#saved-filters a", has_text="热线倒序")
    expect(saved).to_be_visible()
    page.goto(live_server + "/orders/?box=to_dispatch")
    page.locator("#saved-filters a", has_text="热线倒序").click()
    expect(page).to_have_url(re.compile(r"box=all&source=hotline&sort=-number$"))
    expect(page.locator("#order-rows thead th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    page.locator("#saved-filters li", has_text="热线倒序").locator("button").click()
    expect(page.locator("#saved-filters a", has_text="热线倒序")).to_have_count(0)
