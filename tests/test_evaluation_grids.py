"""The evaluation on the grid map and the grid page: the "score" measure and the "Recent evaluation"
section read the latest published monthly snapshot, and only users with evaluation.view get them."""

import json
import re
from datetime import datetime

import pytest

from core import clock
from core.db import db
from core.evaluation import periods, snapshots
from core.evaluation.gridmap import GRADE_COLOURS
from core.map_layers import GREY
from tests.support import login
from tests.workorder_support import act, build_city, photo, report, shapes, to_dispatched

OCTOBER = datetime(2026, 10, 12, 9)  # a Monday


@pytest.fixture
def app(english_app):
    return english_app


@pytest.fixture
def city(app):
    """One case in city.grid, reported, handled and closed on 12 October 2026."""
    made = build_city()
    with app.app_context(), db.connection_context():
        shapes(made.grid, made.other_grid)
        with clock.frozen(OCTOBER):
            order = report(made)
            to_dispatched(made, order)
        with clock.frozen(OCTOBER.replace(hour=11)):
            act(made, order, "report_handled", "handler", reason="done", photos=[photo(made.users["handler"])])
        with clock.frozen(OCTOBER.replace(hour=11, minute=30)):
            act(made, order, "check_pass", "collector")
        with clock.frozen(OCTOBER.replace(hour=12)):
            act(made, order, "close", "shift_leader")
    return made


def publish_october(app):
    with app.app_context(), db.connection_context(), clock.frozen(datetime(2026, 11, 3, 2)):
        version = snapshots.prepare(periods.parse("2026-10"))
        snapshots.publish(version.id, None)
        return snapshots.latest_published("month")


def client_of(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    client.post("/lang", data={"lang": "en"})
    return client


def grid_row(version, code):
    return next(r for r in version.data["levels"]["grid"]["rows"] if r["key"] == code)


def test_the_score_measure_shows_the_published_scores_by_grade(app, city):
    leader = client_of(app, "leader")
    before = json.loads(leader.get("/grids/map.geojson?measure=score").get_data(as_text=True))
    assert {f["properties"]["color"] for f in before["features"]} == {GREY}  # nothing published: no data
    version = publish_october(app)
    row = grid_row(version, city.grid.code)
    assert row["score"] is not None
    data = json.loads(leader.get("/grids/map.geojson?measure=score").get_data(as_text=True))
    by_id = {f["properties"]["id"]: f["properties"] for f in data["features"]}
    assert by_id[city.grid.id]["value"] == row["score"]
    assert by_id[city.grid.id]["color"] == GRADE_COLOURS[row["grade"]]
    other = grid_row(version, city.other_grid.code)  # no case: no rate, no score, grey
    assert other["score"] is None and by_id[city.other_grid.id]["color"] == GREY
    assert [text for _colour, text in data["legend"]] == [
        "E < 40",
        "D 40–60",
        "C 60–75",
        "B 75–90",
        "A ≥ 90",
        "No data",
    ]
    picker = leader.get("/grids/?measure=score").get_data(as_text=True)
    assert re.search(r'<option value="score" selected>', picker)


def test_published_scores_do_not_follow_later_changes(app, city):
    version = publish_october(app)
    with app.app_context(), db.connection_context():
        from core.evaluation.models import Deduction

        Deduction.create(
            level="grid", object_key=city.grid.code, day=datetime(2026, 10, 20).date(), points=30, reason="x"
        )
    data = json.loads(client_of(app, "leader").get("/grids/map.geojson?measure=score").get_data(as_text=True))
    value = {f["properties"]["id"]: f["properties"].get("value") for f in data["features"]}[city.grid.id]
    assert value == grid_row(version, city.grid.code)["score"]


def test_the_score_measure_needs_evaluation_view(app, city):
    publish_order = publish_october(app)
    assert publish_order is not None
    dispatcher = client_of(app, "dispatcher")  # grids.view, not evaluation.view
    assert dispatcher.get("/grids/map.geojson?measure=score").status_code == 403
    assert dispatcher.get("/grids/map.geojson?measure=open").status_code == 200
    picker = dispatcher.get("/grids/?measure=score").get_data(as_text=True)
    assert 'value="score"' not in picker and '<option value="open" selected>' in picker
    assert "map.geojson?measure=score" not in picker and "map.geojson?measure=open" in picker


def test_the_grid_page_shows_the_grids_published_figures(app, city):
    leader = client_of(app, "leader")
    html = leader.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert 'id="section-evaluation"' in html and "No monthly evaluation has been published yet." in html
    version = publish_october(app)
    row = grid_row(version, city.grid.code)
    html = leader.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="section-evaluation".*?</section>', html, re.S).group(0)
    assert f'data-figure="score">{row["score"]:.2f}<' in section
    assert f'data-figure="grade">{row["grade"]}<' in section
    assert f'data-figure="rank">{row["rank"]} of 1<' in section  # the other grid has no score
    assert 'data-figure="closure_rate">100.00%<' in section
    assert "/evaluation/?period=2026-10&amp;level=grid" in section
    assert f"/evaluation/versions/{version.id}" in section
    assert "No evaluation has been published for this grid yet." not in html  # the placeholder is gone


def test_the_grid_page_section_needs_evaluation_view(app, city):
    publish_october(app)
    html = client_of(app, "dispatcher").get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert 'id="section-responsibility"' in html and 'id="section-evaluation"' not in html
