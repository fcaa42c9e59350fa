"""In Chromium, the evaluator finds the department by typing part of its name, picks it from the list
the search brings up (htmx), and the deduction is recorded against it."""

import pytest
from playwright.sync_api import expect

from core.db import db
from core.evaluation.models import Deduction
from tests.e2e.support import as_user, serving
from tests.workorder_support import build_city


@pytest.fixture
def city_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    city = build_city()
    with serving(app) as url:
        yield app, url, city


def test_the_evaluator_picks_a_department_by_name(city_server, make_page):
    app, base, city = city_server
    evaluator = as_user(make_page, base, "evaluator")
    evaluator.goto(base + "/evaluation/deductions")
    form = evaluator.locator("#deduction-form")
    form.locator("select[name=level]").select_option("department")
    form.locator("input[name=object_q]").fill("环卫")
    choice = form.locator("#object-choices label", has_text="环卫处")
    expect(choice).to_have_count(1)
    expect(form.locator("#object-choices label", has_text="园林处")).to_have_count(0)
    choice.locator("input").check()
    form.locator("input[name=points]").fill("3")
    form.locator("textarea[name=reason]").fill("推诿扯皮")
    form.locator("button", has_text="扣分").click()
    expect(evaluator.locator("#deductions tbody tr", has_text="环卫处")).to_have_count(1)
    with app.app_context(), db.connection_context():
        row = Deduction.get()
    assert (row.level, row.object_key, row.object_name) == ("department", str(city.sanitation.id), "环卫处")
