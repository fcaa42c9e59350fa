"""The wall display (/dashboard/wall): the dashboard's own widgets and the campaign widgets on one page,
scoped to the viewer like the dashboard, each refreshing through its fragment; its refreshes are not
activity, and its login still ends at SESSION_MAX_HOURS."""

import re
from datetime import timedelta

import pytest

from core import clock
from core.db import db
from core.org import Role, RolePermission
from core.testing import PASSWORD
from plugins.zombie_cars import service
from tests.dashboard_support import MONDAY, NOW, _history, reported, text_of
from tests.support import client_for
from tests.workorder_support import build_city

WALL = "/dashboard/wall"
CAMPAIGNS = {"HX-Request": "true", "HX-Target": "wall-campaigns"}


@pytest.fixture
def make_app(make_app):
    """These tests read English text."""
    return lambda **overrides: make_app(**{"BABEL_DEFAULT_LOCALE": "en", **overrides})


@pytest.fixture
def city(app):
    return build_city()


@pytest.fixture
def history(app, city):
    with app.app_context(), db.connection_context():
        orders = _history(city)
        service.register(city.users["collector"], plate="湘F12345", address="洞庭路1号旁", grid=city.grid.id)
        service.register(city.users["other_collector"], plate="湘F54321", address="滨湖路2号", grid=city.other_grid.id)
    return orders


def surveyed(html: str) -> str:
    return re.search(r'data-figure="surveyed">(\d+)<', html).group(1)


def test_the_wall_shows_every_section_with_its_polling(app, history):
    with clock.frozen(NOW):
        response = client_for(app, "leader").get(WALL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en" class="wall">' in html and "css/wall.css" in html
    assert 'class="mainnav"' not in html  # a screen, not a page to navigate from
    for name in ("today", "rates", "overdue", "map", "feed"):
        assert f'hx-get="/dashboard/widgets/{name}" hx-trigger="every 30s"' in html
    for name in ("trend", "top"):  # the desk dashboard's charts stay there
        assert f'id="dash-{name}"' not in html
    assert 'id="dashboard-map"' in html and "/grids/map.geojson?measure=open" in html
    assert 'style="height: auto"' in html  # sized by the wall's grid
    assert history["e"].number in html and history["a"].number in html  # the newest cases
    assert 'data-figure="overdue">1<' in html
    assert 'hx-get="/dashboard/wall/campaigns" hx-trigger="every 30s"' in html
    assert "Zombie-car campaign" in html and surveyed(html) == "2"
    assert "My account" not in html and "My work" not in html  # the desk's personal widgets
    page = text_of(html)
    assert "The whole city" in page
    # the login's end, SESSION_MAX_HOURS (12) after logging in at 17:00
    assert "This login ends at 12-01 05:00" in page


def test_the_wall_is_scoped_to_the_viewer(app, history):
    with clock.frozen(NOW):
        html = client_for(app, "other_collector").get(WALL).get_data(as_text=True)
    page = text_of(html)
    assert "Cases in your grids" in page
    assert history["e"].number in html  # reported in their grid
    assert history["a"].number not in html and history["f"].number not in html
    assert 'data-figure="overdue">0<' in html
    assert surveyed(html) == "1"  # only the vehicle in their grid
    assert "Reported 1 " in page


def test_the_fragments_refresh_what_the_wall_shows(app, history, city):
    with clock.frozen(NOW):
        client = client_for(app, "leader")
        before = client.get("/dashboard/widgets/feed", headers={"HX-Request": "true", "HX-Target": "dash-feed"})
    with app.app_context(), db.connection_context():
        late = reported(city, NOW + timedelta(minutes=1))
        service.register(city.users["collector"], plate="湘F99999", address="洞庭路9号", grid=city.grid.id)
    with clock.frozen(NOW + timedelta(minutes=2)):
        feed = client.get("/dashboard/widgets/feed", headers={"HX-Request": "true", "HX-Target": "dash-feed"})
        campaigns = client.get("/dashboard/wall/campaigns", headers=CAMPAIGNS)
        plain = client.get("/dashboard/wall/campaigns")
    assert late.number not in before.get_data(as_text=True)
    feed_html = feed.get_data(as_text=True)
    assert feed_html.lstrip().startswith('<div id="dash-feed"') and late.number in feed_html
    html = campaigns.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="wall-campaigns"')  # the polled element, replacing itself
    assert 'hx-get="/dashboard/wall/campaigns"' in html and surveyed(html) == "3"
    # opened by hand (no htmx), the campaigns' URL is the wall itself
    assert plain.status_code == 302 and plain.headers["Location"].endswith(WALL)


def test_the_dashboard_links_to_the_wall(app, city):
    html = client_for(app, "dispatcher").get("/").get_data(as_text=True)
    assert f'href="{WALL}"' in html


def test_the_wall_needs_the_dashboard_permission(app, city):
    anonymous = app.test_client().get(WALL)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    polled = app.test_client().get("/dashboard/wall/campaigns", headers=CAMPAIGNS)
    assert polled.status_code == 204 and "/login" in polled.headers["HX-Redirect"]
    with db.connection_context():
        role = Role.get(Role.code == "leader")
        RolePermission.delete().where(
            (RolePermission.role == role) & (RolePermission.permission == "dashboard.view")
        ).execute()
    client = client_for(app, "leader")
    assert client.get(WALL).status_code == 403
    assert client.get("/dashboard/wall/campaigns", headers=CAMPAIGNS).status_code == 403


def test_the_walls_refreshes_are_not_activity_and_its_login_ends_on_time(make_app):
    app = make_app(SESSION_MAX_HOURS=2, SESSION_IDLE_MINUTES=30)
    build_city()
    at = MONDAY.replace(hour=8)
    with clock.frozen(at):
        client = client_for(app, "leader")
        assert client.get(WALL).status_code == 200
    with clock.frozen(at + timedelta(minutes=20)):
        assert client.get("/dashboard/wall/campaigns", headers=CAMPAIGNS).status_code == 200
    with clock.frozen(at + timedelta(minutes=40)):  # only refreshes for 40 minutes: idle
        idle = client.get(
            "/dashboard/wall/campaigns", headers={**CAMPAIGNS, "HX-Current-URL": "http://localhost" + WALL}
        )
    # to the login page, and after it back to the wall (the page refreshing), not to the fragment
    assert idle.status_code == 204 and idle.headers["HX-Redirect"] == "/login?next=/dashboard/wall"

    with clock.frozen(at + timedelta(hours=1)):
        client = client_for(app, "leader")
    for minutes in (25, 50, 75, 100):  # someone touches the wall every 25 minutes: still active
        with clock.frozen(at + timedelta(hours=1, minutes=minutes)):
            assert client.get(WALL).status_code == 200
    with clock.frozen(at + timedelta(hours=3, minutes=1)):  # SESSION_MAX_HOURS after the login
        ended = client.get(
            "/dashboard/widgets/today",
            headers={"HX-Request": "true", "HX-Target": "dash-today", "HX-Current-URL": "http://evil.example/x"},
        )
    # the login's age ended it; a current URL on another site is not followed
    assert ended.status_code == 204 and ended.headers["HX-Redirect"] == "/login?next=/dashboard/widgets/today"
    with clock.frozen(at + timedelta(hours=3, minutes=2)):
        again = app.test_client().post("/login?next=/dashboard/wall", data={"username": "leader", "password": PASSWORD})
    assert again.status_code == 302 and again.headers["Location"] == WALL  # logged in again: back to the wall


def test_a_poll_of_the_map_widget_answers_its_figures_without_a_second_map(app, history):
    with clock.frozen(NOW):
        client = client_for(app, "leader")
        polled = client.get("/dashboard/widgets/map", headers={"HX-Request": "true", "HX-Target": "dash-map"})
        alone = client.get("/dashboard/widgets/map")
    html = polled.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="dash-map"') and "xh-map" not in html
    assert "open cases in" in html
    assert 'id="dashboard-map"' in alone.get_data(as_text=True)  # the widget's own page has its map
