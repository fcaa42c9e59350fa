"""Every export link downloads its file in Chromium, and every print link opens its print page, on every
page that has one: the evaluation figures, a published version, the public bulletin, the case list,
the components, the unit grids and the zombie-car register. The pages are boosted by htmx; a boosted
download link would put the file's bytes into the page instead."""

import re

import pytest
from playwright.sync_api import expect

from core.db import db
from core.evaluation import periods, snapshots
from plugins.zombie_cars import service
from tests.e2e.support import as_user, serving
from tests.evaluation_support import Life, T
from tests.workorder_support import build_city

FILE_LINKS = "a[href*='.xlsx'], a[href*='.csv'], a[href*='.geojson'], a[href$='/download']"


@pytest.fixture
def published_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    with app.app_context(), db.connection_context():
        city.hours = city.standard
        Life(city, T(10, 9)).file(T(10, 9, 10)).dispatch(T(10, 9, 20)).finish(T(10, 10), T(10, 10, 30), T(10, 10, 40))
        version = snapshots.prepare(periods.parse("2026-10"))
        snapshots.publish(version.id, city.users["evaluator"])
        vehicle, _created = service.register(
            city.users["collector"],
            plate="湘F12345",
            address="洞庭路1号旁",
            grid=city.grid.id,
            colour="白色",
            brand="捷达",
        )
        notice = service.notify(vehicle, city.users["dispatcher"])
    with serving(app) as url:
        yield url, version.id, vehicle.id, notice.number


def downloads_each(page, minimum: int) -> list[str]:
    """Click every file link on the page; each must start a download. Returns the file names."""
    links = page.locator(FILE_LINKS)
    expect(links.first).to_be_visible()
    assert links.count() >= minimum, page.url
    names = []
    for i in range(links.count()):
        with page.expect_download() as info:
            links.nth(i).click()
        names.append(info.value.suggested_filename)
        expect(page.locator("h1")).to_be_visible()  # the page is still the page, not the file's bytes
    return names


def test_every_export_link_downloads_and_every_print_link_opens_its_page(published_server, make_page):
    base, version_id, vehicle_id, notice_number = published_server
    admin = as_user(make_page, base, "admin")
    for path, minimum, suffix in [
        ("/evaluation/?period=2026-10", 1, ".xlsx"),
        (f"/evaluation/versions/{version_id}", 1, ".xlsx"),
        ("/components/", 2, ""),
        ("/grids/", 1, ".geojson"),
        ("/campaigns/zombie-cars/", 1, ".xlsx"),
    ]:
        admin.goto(base + path)
        assert all(name.endswith(suffix) for name in downloads_each(admin, minimum)), path
    visitor = make_page()
    visitor.goto(base + "/public/")
    assert downloads_each(visitor, 1) == ["bulletin-2026-10.xlsx"]

    admin.goto(base + "/orders/?box=all")
    admin.locator("#export-button").click()
    with admin.expect_download() as info:
        admin.locator("#export-download").click()
    assert info.value.suggested_filename.endswith(".xlsx")

    admin.goto(f"{base}/campaigns/zombie-cars/{vehicle_id}")
    admin.locator("#notices a", has_text=notice_number).click()
    expect(admin).to_have_url(re.compile(r"/notices/\d+$"))
    expect(admin.locator("[data-print]")).to_be_visible()
    admin.goto(base + "/admin/calendar")
    admin.locator("a", has_text="打印").first.click()
    expect(admin).to_have_url(re.compile(r"/calendar(\?year=\d{4})?$"))
