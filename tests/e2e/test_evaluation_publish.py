"""An evaluator publishes October's monthly ranking in Chromium; an anonymous visitor reads it on the
public page, print-ready, with the department's figures exactly as computed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.catalogue.models import FilingStandard
from core.db import db
from tests.e2e.support import as_user, serving
from tests.evaluation_support import Life, T
from tests.workorder_support import build_city


@pytest.fixture
def month_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    with app.app_context(), db.connection_context():
        city.hours = FilingStandard.create(
            category=city.category, seq=2, filing_condition="四小时", limit_text="4小时", limit_value=Decimal(4),
            limit_unit="hour", limit_note="", closing_condition="", handling_unit="", supervising_unit="", source="t",
        )  # fmt: skip
        on_time = Life(city, T(10, 9))
        on_time.file(T(10, 9, 10)).dispatch(T(10, 9, 20)).finish(T(10, 10), T(10, 10, 30), T(10, 10, 40))
        late = Life(city, T(11, 9))
        late.file(T(11, 9, 10)).dispatch(T(11, 9, 40)).finish(T(11, 15), T(11, 15, 30), T(11, 15, 45))
    with serving(app) as url:
        yield url


def test_an_evaluator_publishes_october_and_the_public_reads_it(month_server, make_page):
    base = month_server
    visitor = make_page()
    visitor.goto(base + "/public/")
    expect(visitor.locator("#no-bulletin")).to_be_visible()

    evaluator = as_user(make_page, base, "evaluator")
    evaluator.goto(base + "/evaluation/snapshots")
    evaluator.locator("#prepare-form input[name=period]").fill("2026-10")
    evaluator.locator("#prepare-form button").click()
    expect(evaluator.locator("h1")).to_contain_text("2026-10 · v1")
    evaluator.locator("#publish-form button").click()
    expect(evaluator.locator("#publish-form")).to_have_count(0)
    expect(evaluator.locator("#version-state strong")).to_be_visible()

    visitor.goto(base + "/public/")
    row = visitor.locator("#ranking-department tr", has_text="环卫处")
    expect(row.locator("td[data-code=due_to_handle]")).to_have_count(0)  # counts behind it: in the Excel file
    expect(row.locator("td[data-code=on_time_handling_rate]")).to_have_text("50.00%")
    expect(visitor.locator("#bulletin-figures tr[data-code=closure_rate] td")).to_have_text("100.00%")
    expect(visitor.locator("#ranking-collector")).to_have_count(0)
    visitor.emulate_media(media="print")
    expect(visitor.locator(".topbar")).to_be_hidden()
