"""One case carried around the whole loop in Chromium by five people: the collector reports it with a
photo taken on the phone, the shift leader files it, the dispatcher dispatches it, the department's
handler reports it handled with an after-photo, the collector checks it on site, the shift leader
closes it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import PHONE, as_user, serving
from tests.workorder_support import build_city, jpeg


@pytest.fixture
def city_server(make_app, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    before, after = tmp_path / "before.jpg", tmp_path / "after.jpg"
    before.write_bytes(jpeg("red", (640, 480)))
    after.write_bytes(jpeg("green", (640, 480)))
    with serving(app) as url:
        yield url, city, before, after


def do(page, action_label, fill=None):
    page.locator("details summary", has_text=action_label).click()
    form = page.locator("details[open] form")
    if fill:
        fill(form)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_five_people_carry_one_case_around_the_loop(city_server, make_page):
    base, city, before, after = city_server

    collector = as_user(make_page, base, "collector", viewport=PHONE, is_mobile=True, has_touch=True)
    collector.goto(base + "/orders/new")
    collector.locator("#photos-input").set_input_files(str(before))
    expect(collector.locator(".uploads img")).to_have_count(1)  # uploaded on its own, before the form
    collector.locator("#category").fill("0101 暴露垃圾")
    collector.locator("#description").fill("垃圾桶满溢，周边有散落垃圾")
    collector.locator("#grid").fill("430602001001001 洞庭社区1号网格")
    collector.locator("#address").fill("洞庭路1号")
    collector.locator("form.report-form button[type=submit]").click()
    expect(collector.locator(".flash-success")).to_contain_text("2026-")
    case_url = collector.url
    assert re.search(r"/orders/\d+$", case_url)

    leader = as_user(make_page, base, "shift_leader")
    leader.goto(case_url)
    do(leader, "立案", lambda form: form.locator("input[name=standard]").first.check())

    dispatcher = as_user(make_page, base, "dispatcher")
    dispatcher.goto(case_url)
    do(dispatcher, "派遣")  # the category's default department is preselected

    handler = as_user(make_page, base, "handler", viewport=PHONE, is_mobile=True, has_touch=True)
    handler.goto(case_url)
    do(handler, "开始处置")

    def handled(form):
        form.locator("input[type=file]").set_input_files(str(after))
        expect(form.locator(".uploads img")).to_have_count(1)
        form.locator("textarea[name=reason]").fill("已清理干净")

    do(handler, "处置完毕", handled)

    collector.goto(case_url)
    do(collector, "核查通过")

    leader.goto(case_url)
    do(leader, "结案")
    expect(leader.locator(".status")).to_have_text("已结案")
    expect(leader.locator(".timeline li")).to_have_count(7)
    expect(leader.locator(".compare img")).to_have_count(2)  # before and after, side by side
