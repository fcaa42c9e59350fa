"""The zombie-car campaign in Chromium: a collector registers a vehicle with a photo, issues its
notice and prints it; the print view shows the notice alone. A refusing owner's car is asked for early
by the collector and towed once the shift leader approves."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from core import clock
from plugins.zombie_cars import service
from tests.e2e.support import as_user, log_in, serving
from tests.support import PASSWORD, in_db
from tests.workorder_support import build_city, jpeg
from tests.zombie_support import register, zombie_city

MONDAY = datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def campaign_server(make_app, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True, ZOMBIE_ISSUING_OFFICE="岳阳市城市管理综合执法局")
    build_city()
    car = tmp_path / "car.jpg"
    car.write_bytes(jpeg("grey", (640, 480)))
    with clock.frozen(MONDAY), serving(app) as url:
        yield url, car


def test_register_a_vehicle_and_print_its_notice(campaign_server, page):
    base, car = campaign_server
    csp_errors = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    log_in(page, base, "collector", PASSWORD)

    page.goto(base + "/campaigns/zombie-cars/new")
    page.locator("#plate").fill("湘f 3k721")
    page.locator("#colour").fill("白色")
    page.locator("#brand").fill("大众捷达")
    page.locator("#address").fill("洞庭路1号旁")
    page.locator("#dusty").check()
    page.locator("#flat_tyres").check()
    page.locator("#days_unmoved").fill("120")
    page.locator("#photos").set_input_files(str(car))
    page.locator("#vehicle-form button[type=submit]").click()

    expect(page.locator("#vehicle-plate")).to_have_text("湘F3K721")
    expect(page.locator("#vehicle-stage")).to_have_attribute("data-stage", "surveyed")
    expect(page.locator(".zc-photos img")).to_have_count(1)

    page.locator("#issue-notice").click()
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice-plate")).to_have_text("湘F3K721")
    expect(page.locator("#notice-date")).to_have_text(re.compile(r"2026(-11-02|年11月2日)"))
    expect(page.locator("#notice-deadline")).to_have_text(re.compile(r"2026(-11-09|年11月9日)"))
    expect(page.locator("#notice-office")).to_have_text("岳阳市城市管理综合执法局")
    expect(page.locator("#notice-basis")).to_contain_text("道路交通安全法")

    # The Print button (a script file, no inline handler) opens the browser's print dialog.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.locator("#print-notice").click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("#print-notice")).to_be_hidden()
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice-deadline")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("header.topbar")).to_be_visible()
    assert csp_errors == []


@pytest.fixture
def refusal_server(make_app):
    """A notified vehicle in the collector's grid, with a parking office to tow it."""
    app = make_app(WTF_CSRF_ENABLED=True)
    city = zombie_city()
    with clock.frozen(MONDAY):
        vehicle = in_db(app, lambda: service.notify(register(city), city.users["dispatcher"]).vehicle)
        with serving(app) as url:
            yield url, vehicle.id


def test_a_refusing_owner_is_recorded_asked_for_early_and_towed_on_approval(refusal_server, make_page):
    base, vehicle_id = refusal_server
    url = f"{base}/campaigns/zombie-cars/{vehicle_id}"
    collector = as_user(make_page, base, "collector")
    collector.goto(url)
    expect(collector.locator("#early-tow-form")).to_have_count(0)  # nobody has refused yet
    collector.locator("#contact-details summary").click()
    collector.locator("#caller").fill("刘洋")
    collector.locator("#result").select_option("refused")
    collector.locator("#contact-form textarea[name=note]").fill("车主拒绝移车")
    collector.locator("#contact-form button[type=submit]").click()
    expect(collector.locator("#contacts tr[data-result=refused]")).to_have_count(1)

    collector.locator("#early-tow-form textarea[name=reason]").fill("占用消防通道")
    collector.locator("#early-tow-form button[type=submit]").click()
    expect(collector.locator("#early-tows li[data-status=pending]")).to_have_count(1)
    expect(collector.locator("#early-tow-decision")).to_have_count(0)  # the collector does not decide

    leader = as_user(make_page, base, "shift_leader")
    leader.goto(url)
    leader.locator("#early-tow-decision select[name=decision]").select_option("approve")
    leader.locator("#early-tow-decision button[type=submit]").click()
    expect(leader.locator("#early-tows li[data-status=approved]")).to_have_count(1)
    expect(leader.locator("#vehicle-stage")).to_have_attribute("data-stage", "tow_ordered")
    expect(leader.locator("#tow-orders a")).to_have_count(1)
