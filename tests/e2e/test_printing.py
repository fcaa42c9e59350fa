"""What people print and read on paper or a small screen, in Chromium: the ranking an evaluator
prints for the leadership (score and grade first, no sideways scrolling at 1280 px, A4 landscape,
rank-name-score-grade on a phone) and the zombie-car notice posted on a windscreen (one A4 page,
large type, Chinese punctuation, seal and signature areas, contact details)."""

import re

from playwright.sync_api import expect

from core import clock
from core.demo import DEMO_PASSWORD

A4_LANDSCAPE_CONTENT_PX = 1032  # 297 mm less the 2 × 12 mm margins of @page landscape, at 96 px per inch


def demo_login(make_page, base, username, **options):
    page = make_page(**options)
    page.goto(base + "/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button.primary").click()
    expect(page.locator("h1")).to_be_visible()
    return page


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
    page = demo_login(make_page, live_server, "evaluator")
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

    phone = demo_login(make_page, live_server, "leader", viewport={"width": 390, "height": 844})
    phone.goto(f"{live_server}/evaluation/?period={month}&level=department")
    visible = [t.strip() for t in phone.locator("#evaluation-table thead th:visible").all_inner_texts()]
    assert visible == ["名次", "名称", "得分", "等级"]
    assert overflow(phone) <= 0
