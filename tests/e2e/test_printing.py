"""What people print and read on paper or a small screen, in Chromium: the ranking an evaluator
prints for the leadership (score and grade first, no sideways scrolling at 1280 px, A4 landscape,
rank-name-score-grade on a phone) and the zombie-car notice posted on a windscreen (one A4 page,
large type, Chinese punctuation, seal and signature areas, contact details)."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from core import clock
from core.db import db
from core.demo import DEMO_PASSWORD
from plugins.zombie_cars import service
from tests.e2e.support import as_user, log_in, serving
from tests.support import PASSWORD
from tests.workorder_support import build_city

MONDAY = datetime(2026, 11, 2, 9, 0)
A4_LANDSCAPE_CONTENT_PX = 1032  # 297 mm less the 2 × 12 mm margins of @page landscape, at 96 px per inch


def overflow(page, selector=".tablewrap") -> int:
    """How many pixels the table sticks out of its box sideways (0: no sideways scrolling)."""
    return page.evaluate(
        f"(() => {{ const w = document.querySelector('{selector}'); return w.scrollWidth - w.clientWidth; }})()"
    )


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page of a PDF printed by Chromium."""
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]


def test_the_ranking_puts_score_and_grade_where_they_are_read(live_server, make_page):
    month = clock.now().strftime("%Y-%m")
    page = as_user(make_page, live_server, "evaluator", DEMO_PASSWORD)
    for level in ("department", "grid", "collector"):
        page.goto(f"{live_server}/evaluation/?period={month}&level={level}")
        headings = page.locator("#evaluation-table thead th")
        expect(headings.nth(2)).to_have_text("得分")
        expect(headings.nth(3)).to_have_text("等级")
        assert overflow(page) <= 0, level
        grade = page.locator("#evaluation-table th.grade").bounding_box()
        assert grade["x"] + grade["width"] <= 1280, level
    # the filter bar: the button is a button, not a box stretched to the width of a field
    button = page.locator("form.filters button").bounding_box()
    field = page.locator("form.filters input[name=period]").bounding_box()
    assert button["height"] <= field["height"] + 4 and button["width"] < 200
    assert abs((button["y"] + button["height"]) - (field["y"] + field["height"])) <= 4

    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_LANDSCAPE_CONTENT_PX, "height": 700})
    page.goto(f"{live_server}/evaluation/?period={month}&level=department")
    assert overflow(page) <= 0
    sizes = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
    assert sizes and all(w > h for w, h in sizes)  # A4 landscape: 842 × 595 points

    phone = as_user(make_page, live_server, "leader", DEMO_PASSWORD, viewport={"width": 390, "height": 844})
    phone.goto(f"{live_server}/evaluation/?period={month}&level=department")
    visible = [t.strip() for t in phone.locator("#evaluation-table thead th:visible").all_inner_texts()]
    assert visible == ["名次", "名称", "得分", "等级"]
    assert overflow(phone) <= 0


@pytest.fixture
def notice_server(make_app):
    app = make_app(
        WTF_CSRF_ENABLED=True, ZOMBIE_ISSUING_OFFICE="岳阳市城市管理综合执法局",
        ZOMBIE_OFFICE_ADDRESS="岳阳市岳阳楼区巴陵中路1号", ZOMBIE_OFFICE_PHONE="0730-8881234",
    )  # fmt: skip
    city = build_city()
    with clock.frozen(MONDAY), app.app_context(), db.connection_context():
        vehicle, _ = service.register(
            city.users["collector"], plate="湘F3K721", address="洞庭路1号旁", grid=city.grid.id, colour="白色",
            brand="大众捷达",
        )  # fmt: skip
        notice = service.notify(vehicle, city.users["dispatcher"])
    with clock.frozen(MONDAY), serving(app) as url:
        yield f"{url}/campaigns/zombie-cars/{vehicle.id}/notices/{notice.id}"


# ASCII punctuation next to a CJK character (spaces between them ignored): a Chinese sentence uses
# full-width punctuation (，：；（）).
ASCII_IN_CHINESE = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]\s*[,:;()]|[,:;()]\s*[\u3400-\u9fff]")


def test_the_notice_fills_one_a4_page_in_large_type_with_chinese_punctuation(notice_server, make_page):
    page = make_page()
    log_in(page, notice_server.split("/campaigns")[0], "collector", PASSWORD)
    page.goto(notice_server)
    notice = page.locator("#notice")
    expect(notice).to_contain_text("岳阳市岳阳楼区巴陵中路1号")  # where to go and whom to call
    expect(notice).to_contain_text("0730-8881234")
    expect(page.locator("#notice-number")).to_have_text("城管移车告字〔2026〕第0001号")
    expect(notice.locator(".zc-seal")).to_have_count(1)
    expect(notice.locator(".zc-posting")).to_contain_text("张贴时间")
    text = notice.inner_text()
    assert ASCII_IN_CHINESE.findall(text) == [], text

    page.emulate_media(media="print")
    assert len(pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))) == 1
    box = notice.bounding_box()
    fits = page.evaluate(
        "(() => { const n = document.querySelector('#notice'); return n.scrollHeight <= n.clientHeight; })()"
    )
    assert fits, "the notice's content runs past its page"
    assert box["height"] >= 0.9 * 267 * 96 / 25.4  # the full page: 297 mm less the 2 × 15 mm margins
    body_pt = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#notice-facts')).fontSize)") * 0.75
    title_pt = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#notice h1')).fontSize)") * 0.75
    assert body_pt >= 15 and title_pt >= 24


def test_the_year_calendar_prints_on_one_a4_landscape_page(notice_server, make_page):
    base = notice_server.split("/campaigns")[0]
    page = make_page()
    log_in(page, base, "dispatcher", PASSWORD)
    page.goto(base + "/calendar?year=2026")
    expect(page.locator(".wt-month")).to_have_count(12)
    page.emulate_media(media="print")
    sizes = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
    assert len(sizes) == 1 and sizes[0][0] > sizes[0][1]
