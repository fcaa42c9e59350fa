"""The field home (issue 11, phone layouts; core/dashboard/field.py): a collector's home starts with
"Report a problem" and the cases to verify and to check in their grids; /dashboard/nearby lists the open
cases near a position, nearest first, in the viewer's scope; the centre's home is unchanged. The
browser's side (positions, the phone's layout) is tests/e2e/test_phone.py."""

import re
from decimal import Decimal

import pytest

from core.db import db
from core.workorders import nearby, workflow
from core.workorders.models import WorkOrder
from tests.support import client_for
from tests.workorder_support import build_city, photo, report

LAT, LON = 29.3705, 113.1305
NEARBY = {"HX-Request": "true", "HX-Target": "nearby"}
CARD = re.compile(r'<li class="order-card" data-number="([^"]+)"')


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


def north(metres: float) -> dict:
    return {"latitude": Decimal(f"{LAT + metres / 111_320:.6f}"), "longitude": Decimal(f"{LON:.6f}")}


@pytest.fixture
def cases(app):
    city = build_city()
    with app.app_context(), db.connection_context():
        found = {
            "verify": workflow.create_order(
                city.users["intake"],
                "hotline",
                photos=[photo(city.users["intake"])],
                category=city.category,
                description="x",
                grid=city.grid,
                address="洞庭路9号",
                **north(900),
            ),  # fmt: skip
            "check": report(city, **north(1500)),
            "near": report(city, address="洞庭路1号", **north(100)),
            "far": report(city, **north(5000)),  # beyond nearby.NEARBY_METRES
            "nowhere": report(city),
            "other_grid": report(city, grid=city.other_grid, **north(50)),  # the other collector's
            "closed": report(city, **north(20)),
        }
        WorkOrder.update(status="handled").where(WorkOrder.id == found["check"].id).execute()
        WorkOrder.update(status="closed").where(WorkOrder.id == found["closed"].id).execute()
    return city, {name: order.number for name, order in found.items()}


def section(html, ident):
    match = re.search(rf'<section class="card field-tasks" id="{ident}">(.*?)</section>', html, re.S)
    assert match, ident
    return match.group(1)


def test_a_collectors_home_starts_with_report_and_their_tasks(app, cases):
    _city, numbers = cases
    html = client_for(app, "collector").get("/").get_data(as_text=True)
    assert '<div class="home has-field field-only">' in html
    assert html.index('id="report-button"') < html.index('id="tasks-to_verify"') < html.index('class="widgets"')
    verify = section(html, "tasks-to_verify")
    assert "To verify on site" in verify and '<strong class="count">1</strong>' in verify
    assert CARD.findall(verify) == [numbers["verify"]]
    assert 'href="/orders/?box=to_verify"' in verify
    check = section(html, "tasks-to_check")
    assert CARD.findall(check) == [numbers["check"]] and "To check on site" in check
    assert 'data-near-url="/dashboard/nearby"' in html
    assert "/static/js/location.js" in html


def test_the_tasks_show_the_first_few_and_link_to_all(app, cases, monkeypatch):
    city, _numbers = cases
    from core.dashboard import field

    monkeypatch.setattr(field, "FIRST_FEW", 1)
    with app.app_context(), db.connection_context():
        workflow.create_order(
            city.users["intake"], "citizen", photos=[photo(city.users["intake"])], category=city.category,
            description="y", grid=city.grid,
        )  # fmt: skip
    verify = section(client_for(app, "collector").get("/").get_data(as_text=True), "tasks-to_verify")
    assert len(CARD.findall(verify)) == 1 and '<strong class="count">2</strong>' in verify and "All 2" in verify


def test_another_collectors_tasks_are_their_own(app, cases):
    html = client_for(app, "other_collector").get("/").get_data(as_text=True)
    assert '<strong class="count">0</strong>' in section(html, "tasks-to_verify")
    assert "Nothing to do here now." in section(html, "tasks-to_check")


@pytest.mark.parametrize("username", ["dispatcher", "leader", "handler", "dept_head", "admin"])
def test_the_centre_and_departments_keep_their_dashboard(app, cases, username):
    html = client_for(app, username).get("/").get_data(as_text=True)
    assert 'id="field-home"' not in html and '<div class="home">' in html
    assert 'id="wall-link"' in html


def test_nearby_lists_open_cases_in_scope_nearest_first(app, cases):
    _city, numbers = cases
    response = client_for(app, "collector").get(f"/dashboard/nearby?lat={LAT}&lon={LON}", headers=NEARBY)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="nearby">')
    # closed, too far, without a location and in someone else's grid: left out
    assert CARD.findall(html) == [numbers["near"], numbers["verify"], numbers["check"]]
    assert '<span class="distance">100 m</span>' in html and '<span class="distance">1.5 km</span>' in html
    centre = client_for(app, "dispatcher").get(f"/dashboard/nearby?lat={LAT}&lon={LON}", headers=NEARBY)
    assert CARD.findall(centre.get_data(as_text=True))[:2] == [numbers["other_grid"], numbers["near"]]


def test_nearby_far_from_everything_says_so(app, cases):
    html = client_for(app, "collector").get("/dashboard/nearby?lat=30.5&lon=114.2", headers=NEARBY)
    assert "No open case within 3 km of you." in html.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "lat=abc&lon=113", "lat=91&lon=113", "lat=29&lon=inf", "lat=29"])
def test_nearby_refuses_a_position_it_cannot_read(app, cases, query):
    response = client_for(app, "collector").get(f"/dashboard/nearby?{query}", headers=NEARBY)
    assert response.status_code == 422
    assert "The position could not be read" in response.get_data(as_text=True)


def test_nearby_without_htmx_is_a_page(app, cases):
    html = client_for(app, "collector").get(f"/dashboard/nearby?lat={LAT}&lon={LON}").get_data(as_text=True)
    assert "<h1>Open cases near you</h1>" in html


def test_parse_near():
    assert nearby.parse_near("29.37,113.13") == (29.37, 113.13)
    assert nearby.parse_near(" 29.37 ，113.13 ") == (29.37, 113.13)
    for text in (None, "", "29.37", "a,b", "95,113", "29,190", "nan,1", "1,2,3"):
        assert nearby.parse_near(text) is None, text


def test_distance_and_time_left_labels(app):
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 2, 9, 0)
    order = WorkOrder(latitude=Decimal("29.371400"), longitude=Decimal("113.1305"), status="dispatched")
    with app.test_request_context():
        assert nearby.distance_label(order, (LAT, LON)) == "100 m"
        assert nearby.distance_label(WorkOrder(), (LAT, LON)) == ""
        order.stage_due_at = now + timedelta(hours=2, minutes=5)
        assert nearby.time_left(order, now) == "2 h 5 min left"
        order.stage_due_at = now - timedelta(days=1, hours=3)
        assert nearby.time_left(order, now) == "overdue by 1 d 3 h"
        order.stage_due_at = None
        assert nearby.time_left(order, now) == "—"
