"""Phone layouts in Chromium at 390 × 844 with the browser's position granted (issue 11): the collector's
home starts with "Report a problem" and their tasks, then the open cases nearby; the case list becomes
cards nearest first; the report form and the zombie-car form show the unit grid found from GPS or from a
tap on the map before saving. On a desktop the centre keeps its dashboard."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.db import db
from core.org import User
from core.workorders import workflow
from core.workorders.models import WorkOrder
from tests.e2e.support import PHONE, as_user, serving
from tests.workorder_support import LAT0, LON0, STEP, build_city, photo, report, shapes

# The collector stands in the middle of their grid's square (shapes(): 0.001° squares side by side).
HERE = {"latitude": LAT0 + STEP / 2, "longitude": LON0 + STEP / 2}
OUTSIDE = (LON0 + 0.5, LAT0 + 0.5)  # far from every grid


def at(metres_north: float) -> dict:
    """Coordinates `metres_north` north of where the collector stands."""
    return {
        "latitude": Decimal(f"{HERE['latitude'] + metres_north / 111_320:.6f}"),
        "longitude": Decimal(f"{HERE['longitude']:.6f}"),
    }


@pytest.fixture
def phone_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    numbers = {}
    with app.app_context(), db.connection_context():
        shapes(city.grid, city.other_grid)
        hotline = workflow.create_order(
            city.users["intake"], "hotline", photos=[photo(city.users["intake"])], category=city.category,
            description="电话反映垃圾", grid=city.grid, address="洞庭路9号", **at(900),
        )  # fmt: skip
        numbers["to_verify"] = hotline.number
        checked = report(city, address="洞庭路3号", **at(1500))
        WorkOrder.update(status="handled").where(WorkOrder.id == checked.id).execute()
        numbers["to_check"] = checked.number
        numbers["near"] = report(city, address="洞庭路1号", **at(100)).number
        numbers["middle"] = report(city, address="洞庭路5号", **at(400)).number
        numbers["nowhere"] = report(city, address="没有坐标").number
        # English pages: the new strings' Chinese is applied by the merger (zh.tsv)
        User.update(language="en").where(User.username.in_(["collector", "dispatcher"])).execute()
    with serving(app) as url:
        yield url, numbers


def phone(make_page, base, username):
    return as_user(
        make_page, base, username, viewport=PHONE, is_mobile=True, has_touch=True,
        geolocation=HERE, permissions=["geolocation"],
    )  # fmt: skip


def test_the_collectors_home_starts_with_report_and_their_tasks(phone_server, make_page):
    base, numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/")
    button = collector.locator("#report-button")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", "/orders/new")
    expect(collector.locator("main h1")).not_to_be_in_viewport()  # the page title gives way to the button

    verify = collector.locator("#tasks-to_verify")
    expect(verify.locator(".count")).to_have_text("1")
    expect(verify.locator(".order-card")).to_have_attribute("data-number", numbers["to_verify"])
    expect(verify.locator("h2 a")).to_have_attribute("href", "/orders/?box=to_verify")
    check = collector.locator("#tasks-to_check")
    expect(check.locator(".count")).to_have_text("1")
    expect(check.locator(".order-card")).to_have_attribute("data-number", numbers["to_check"])

    # The open cases near the position, nearest first; the case without coordinates is not "nearby".
    cards = collector.locator("#nearby .order-card")
    expect(cards).to_have_count(4)
    order = [cards.nth(i).get_attribute("data-number") for i in range(4)]
    assert order == [numbers["near"], numbers["middle"], numbers["to_verify"], numbers["to_check"]]
    expect(cards.first.locator(".distance")).to_have_text("100 m")

    # First the button, then the tasks, then the nearby cases, and only then the dashboard's widgets.
    tops = [
        collector.locator(selector).bounding_box()["y"]
        for selector in ("#report-button", "#tasks-to_verify", "#nearby", ".widgets")
    ]
    assert tops == sorted(tops), tops
    assert tops[0] < 200, "the report button is at the top of the phone's screen"
    box = button.bounding_box()
    assert box["width"] > 300 and box["height"] >= 48, box  # big enough for a thumb

    button.click()
    expect(collector).to_have_url(base + "/orders/new")


def test_the_position_refused_says_so_and_the_tasks_stay(phone_server, make_page):
    base, _numbers = phone_server
    collector = as_user(make_page, base, "collector", viewport=PHONE, is_mobile=True, has_touch=True)
    collector.goto(base + "/")
    expect(collector.locator("#nearby")).to_contain_text("Your position is not available")
    expect(collector.locator("#tasks-to_verify .count")).to_have_text("1")


def test_the_centre_keeps_its_desktop_dashboard(phone_server, make_page):
    base, _numbers = phone_server
    dispatcher = as_user(make_page, base, "dispatcher")
    dispatcher.goto(base + "/")
    expect(dispatcher.locator("#field-home")).to_have_count(0)
    expect(dispatcher.locator("main h1")).to_be_visible()
    expect(dispatcher.locator("#wall-link")).to_be_visible()
    expect(dispatcher.locator("#dash-today")).to_be_visible()


def test_the_case_list_becomes_cards_nearest_first(phone_server, make_page):
    base, numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/orders/?box=open")
    expect(collector).to_have_url(re.compile(r"sort=near"))
    expect(collector.locator("#order-rows table.orders")).to_be_hidden()
    cards = collector.locator("#order-rows .list-cards .order-card")
    expect(cards).to_have_count(5)
    expect(cards.first.locator(".distance")).to_have_text("100 m")
    order = [cards.nth(i).get_attribute("data-number") for i in range(5)]
    assert order == [numbers["near"], numbers["middle"], numbers["to_verify"], numbers["to_check"], numbers["nowhere"]]
    first = cards.first
    expect(first.locator(".category")).to_have_text("暴露垃圾")
    expect(first.locator(".address")).to_have_text("洞庭路1号")
    expect(first.locator(".time-left")).to_have_text(re.compile(r" left$|^overdue by "))
    expect(first.locator(".light")).to_be_visible()
    expect(cards.last.locator(".distance")).to_have_text("no location")
    width = collector.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the list scrolls sideways: {width} px"

    cards.first.click()
    expect(collector.locator("h1")).to_contain_text(numbers["near"])


def test_on_a_phone_the_filters_fold_away_and_the_cards_come_first(phone_server, make_page):
    """The list's filters, saved filters and sort take one line on a phone, saying how many filters are
    on; a tap opens them. On a desktop they are always open, with no such line."""
    base, numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/orders/?box=open&status=reported")
    expect(collector).to_have_url(re.compile(r"sort=near"))  # the cards re-sorted once the position is known
    tools = collector.locator("details.list-tools")
    expect(tools.locator("summary")).to_have_text("Filters and sort (1 filter on)")
    expect(collector.locator("#order-filters select[name=sort]")).to_be_hidden()
    first_card = collector.locator("#order-rows .list-cards .order-card").first
    expect(first_card).to_be_visible()
    top = collector.evaluate(
        "document.querySelector('#order-rows .list-cards .order-card').getBoundingClientRect().top"
    )
    assert top + 40 < PHONE["height"], f"the first card is below the fold ({top} px)"
    tools.locator("summary").click()
    expect(collector.locator("#order-filters select[name=sort]")).to_be_visible()
    collector.locator("#order-filters select[name=status]").select_option("")
    expect(collector).not_to_have_url(re.compile(r"status=reported"))
    expect(collector.locator("#order-filters select[name=sort]")).to_be_visible()  # still open while in use

    desk = as_user(make_page, base, "dispatcher")
    desk.goto(base + "/orders/?box=open")
    expect(desk.locator("details.list-tools summary")).to_be_hidden()
    expect(desk.locator("#order-filters select[name=sort]")).to_be_visible()


def test_a_chosen_sort_is_kept_on_a_phone(phone_server, make_page):
    base, _numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/orders/?box=open&sort=newest")
    expect(collector.locator("#order-rows .list-cards .order-card")).to_have_count(5)
    expect(collector.locator(".list-cards .distance")).to_have_count(0)
    assert "sort=newest" in collector.url


def test_the_report_form_shows_the_grid_found_from_gps_before_saving(phone_server, make_page):
    base, _numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/orders/new")
    collector.locator(".use-gps").click()
    expect(collector.locator("#latitude")).to_have_value(f"{HERE['latitude']:.6f}")
    grid = collector.locator("#location-grid")
    expect(grid).to_contain_text("430602001001001")
    expect(grid).to_contain_text("洞庭社区1号网格")

    # Typed by hand far away: said clearly that no grid holds the place.
    collector.locator("#longitude").fill(f"{OUTSIDE[0]:.6f}")
    collector.locator("#latitude").fill(f"{OUTSIDE[1]:.6f}")
    expect(grid).to_contain_text("Outside every unit grid")
    expect(grid).not_to_contain_text("430602001001001")

    # A tap on the map, in the collector's grid (the only one the map draws for them), finds it again.
    collector.locator("details.map-pick summary").click()
    expect(collector.locator("#pick-map[data-ready=true]")).to_be_visible()
    collector.locator("#pick-map path.xh-area").first.click()
    expect(collector.locator("#longitude")).to_have_value(re.compile(r"^113\.130\d+$"))
    expect(grid).to_contain_text("430602001001001")


def test_zombie_car_registration_has_gps_map_pick_and_the_grid(phone_server, make_page):
    base, _numbers = phone_server
    collector = phone(make_page, base, "collector")
    collector.goto(base + "/campaigns/zombie-cars/new")
    collector.locator(".location-picker .use-gps").click()
    expect(collector.locator("#longitude")).to_have_value(f"{HERE['longitude']:.6f}")
    expect(collector.locator("#latitude")).to_have_value(f"{HERE['latitude']:.6f}")
    expect(collector.locator("#location-grid")).to_contain_text("洞庭社区1号网格")

    collector.locator("#longitude").fill(f"{OUTSIDE[0]:.6f}")
    expect(collector.locator("#location-grid")).to_contain_text("Outside every unit grid")

    collector.locator("details.map-pick summary").click()
    expect(collector.locator("#pick-map[data-ready=true]")).to_be_visible()
    collector.locator("#pick-map path.xh-area").first.click()
    expect(collector.locator("#pick-map path.xh-picked")).to_have_count(1)
    expect(collector.locator("#longitude")).to_have_value(re.compile(r"^113\.130\d+$"))
    expect(collector.locator("#location-grid")).to_contain_text("洞庭社区1号网格")


def test_nearest_first_chosen_from_the_sort_menu_asks_for_the_position(phone_server, make_page):
    base, numbers = phone_server
    desk = as_user(make_page, base, "dispatcher", geolocation=HERE, permissions=["geolocation"])
    desk.goto(base + "/orders/?box=open")
    desk.locator("#order-filters select[name=sort]").select_option("near")
    expect(desk).to_have_url(re.compile(r"near=29\.\d+%2C113\.\d+|near=29\.\d+,113\.\d+"))
    first = desk.locator("#order-rows table.orders tbody tr").first
    expect(first).to_contain_text(numbers["near"])
