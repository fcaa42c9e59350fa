"""The wall display in Chromium at 1920 × 1080 and 3840 × 2160: one dark screen that never scrolls,
with the grid map drawn; a case taken by the hotline in another session appears among the newest cases
without the wall being reloaded (htmx polling, every second here)."""

import pytest
from playwright.sync_api import expect

from core.db import db
from plugins.zombie_cars import service
from tests.e2e.support import as_user, serving, take_a_hotline_call
from tests.workorder_support import build_city, report, shapes

SCREENS = [{"width": 1920, "height": 1080}, {"width": 3840, "height": 2160}]
NO_SCROLLING = """() => {
  const page = document.scrollingElement;
  return [page.scrollHeight, innerHeight, page.scrollWidth, innerWidth];
}"""


@pytest.fixture
def wall_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, DASHBOARD_REFRESH_SECONDS=1)
    city = build_city()
    with app.app_context(), db.connection_context():
        shapes(city.grid, city.other_grid)
        for _ in range(12):  # more than the ten newest cases the wall lists
            report(city)
        report(city, grid=city.other_grid)
        service.register(city.users["collector"], plate="湘F12345", address="洞庭路1号旁", grid=city.grid.id)
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_wall_fills_one_dark_screen_and_refreshes_itself(wall_server, make_page, screen, tmp_path):
    base = wall_server
    wall = as_user(make_page, base, "leader", viewport=screen)
    expect(wall.locator("#wall-link")).to_be_visible()
    wall.locator("#wall-link").click()
    expect(wall).to_have_url(base + "/dashboard/wall")
    expect(wall.locator("#dashboard-map[data-ready=true]")).to_be_visible()
    expect(wall.locator("#dashboard-map path.xh-area")).to_have_count(2)
    expect(wall.locator("#dash-feed li")).to_have_count(10)
    expect(wall.locator("#wall-campaigns")).to_contain_text("1")  # one vehicle surveyed
    wall.screenshot(path=str(tmp_path / f"wall-{screen['width']}.png"))

    height, inner_height, width, inner_width = wall.evaluate(NO_SCROLLING)
    assert height <= inner_height and width <= inner_width, (height, inner_height, width, inner_width)
    assert wall.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    for cell in ("today", "rates", "map", "overdue", "feed"):  # every section on the screen, none cut off
        box = wall.locator(f".wall-{cell}").bounding_box()
        assert box and box["y"] + box["height"] <= inner_height and box["x"] + box["width"] <= inner_width
    # sized by the screen: the figures are twice as large on the 4K screen
    font = wall.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert font == pytest.approx(screen["height"] / 60, abs=0.5)

    wall.evaluate("window.notReloaded = true")
    first_update = wall.locator("#dash-feed").get_attribute("data-updated")
    number = take_a_hotline_call(make_page, base)
    expect(wall.locator("#dash-feed li").first).to_contain_text(number)
    assert wall.evaluate("window.notReloaded === true"), "the wall was reloaded"
    assert wall.locator("#dash-feed").get_attribute("data-updated") != first_update
    expect(wall.locator("#dash-today dd").first).to_have_text("14")  # reported today
    expect(wall.locator("#dashboard-map path.xh-area")).to_have_count(2)  # the map stays drawn
    height, inner_height, width, inner_width = wall.evaluate(NO_SCROLLING)
    assert height <= inner_height and width <= inner_width
