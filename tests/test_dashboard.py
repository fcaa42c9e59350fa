"""The command-centre dashboard: every figure against a hand-built history, "—" for empty
denominators, row scoping per role, the polled fragment URLs, and fast (index-using) queries."""

import json
import re
from datetime import timedelta

import pytest

from core import clock
from core.dashboard import figures
from core.db import db, is_sqlite
from core.workorders import scope
from core.workorders.errors import WorkflowError
from core.workorders.models import WorkOrder
from tests.dashboard_support import FRIDAY, MONDAY, NOW, _history, at, dispatch, file, reported, step, text_of
from tests.support import client_for
from tests.workorder_support import build_city


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read English text."""
    return english_xiuhua_app


@pytest.fixture
def ctx(app):
    """An application context with a connection, for calling the figures directly. (Requests of the
    test client must not run inside it: they would share its `g`, and with it the logged-in user.)"""
    with app.app_context(), db.connection_context():
        yield


@pytest.fixture
def history(app, city):
    with app.app_context(), db.connection_context():
        return _history(city)


def test_todays_counts_come_from_todays_events(history, ctx):
    start, end = figures.today_period(NOW)
    assert figures.counts(start, end) == {"reported": 5, "filed": 4, "dispatched": 3, "handled": 2, "closed": 1}
    friday = figures.today_period(at(FRIDAY, 20))
    assert figures.counts(*friday) == {"reported": 1, "filed": 1, "dispatched": 1, "handled": 0, "closed": 0}


def test_rates_today(history, ctx):
    """The evaluation's definitions (docs/evaluation.md), by hand: handling rounds are the
    `report_handled` events whose recorded deadline (`ended_due`) falls in the period, plus cases still
    at a department whose deadline does; cases with an approved suspension are left out. Dispatch
    stages are the events recording `ended_stage = dispatch` (deadline = filing + 15 minutes), plus
    cases still waiting for a dispatch."""
    r = figures.rates(*figures.today_period(NOW), now=NOW)
    # Handling: A handled 11:00 ≤ 15:10 on time, B 16:00 > 15:40 late; D has an approved suspension;
    # F fell due on Friday.
    assert (r["due_to_handle"], r["handled_on_time"], r["on_time_handling_rate"]) == (2, 1, 0.5)
    # Dispatch: A 9:10 ≤ 9:20 and D 9:50 ≤ 10:00 on time, B 9:40 > 9:20 late, C still filed past 10:20.
    assert (r["due_to_dispatch"], r["dispatched_on_time"], r["on_time_dispatch_rate"]) == (4, 2, 0.5)


def test_rates_count_only_deadlines_that_have_passed(history, ctx):
    r = figures.rates(*figures.today_period(NOW), now=at(MONDAY, 15, 30))
    assert (r["due_to_handle"], r["handled_on_time"]) == (1, 1)  # B is due only at 15:40
    r = figures.rates(*figures.today_period(NOW), now=at(MONDAY, 10, 10))
    assert (r["due_to_dispatch"], r["dispatched_on_time"]) == (3, 2)  # C is due only at 10:20


def test_rates_over_thirty_days_and_per_day(history, ctx):
    start, end = figures.last_days_period(30, NOW)
    r = figures.rates(start, end, now=NOW)
    # F is still dispatched, its deadline (Friday 16:10) passed: due and not handled. Its dispatch
    # (10:10 ≤ 10:20) was on time.
    assert (r["due_to_handle"], r["handled_on_time"]) == (3, 1)
    assert round(r["on_time_handling_rate"], 4) == 0.3333
    assert (r["due_to_dispatch"], r["dispatched_on_time"]) == (5, 3)
    daily = figures.daily_handling(start, end, now=NOW)
    assert {day: (v["due_to_handle"], v["handled_on_time"]) for day, v in daily.items()} == {
        FRIDAY.date(): (1, 0),
        MONDAY.date(): (2, 1),
    }
    assert daily[MONDAY.date()]["on_time_handling_rate"] == 0.5
    per_day = figures.daily_counts(start, end)
    assert per_day == {"reported": {FRIDAY.date(): 1, MONDAY.date(): 5}, "closed": {MONDAY.date(): 1}}


def test_a_resumed_case_is_due_in_the_period_of_its_moved_deadline(city, history, ctx):
    """While suspended D is in no cohort; resumed, its deadline (13:50) has moved by the paused time
    (10:40 → 16:30) and it is due, and overdue if not handled, in the period of that deadline: a
    suspension pauses the clock, it does not take a case out of the evaluation (docs/evaluation.md)."""
    assert figures.rates(*figures.today_period(NOW), now=at(MONDAY, 23, 59))["due_to_handle"] == 2  # A, B
    step(city, history["d"], at(MONDAY, 16, 30), "resume", "dispatcher")
    d = WorkOrder.get_by_id(history["d"].id)
    assert d.status == "dispatched" and d.due_at.date() > MONDAY.date()
    assert figures.rates(*figures.today_period(NOW), now=at(MONDAY, 23, 59))["due_to_handle"] == 2
    after = d.due_at + timedelta(minutes=1)
    moved = figures.rates(*figures.today_period(d.due_at), now=after)
    assert (moved["due_to_handle"], moved["handled_on_time"]) == (1, 0)  # D, not handled by its moved deadline


def test_a_suspension_cannot_be_asked_for_once_the_case_is_overdue(city, history, ctx):
    """Else a late case could be suspended out of the month it is late in."""
    late = reported(city, at(MONDAY, 9))
    file(city, late, at(MONDAY, 9, 5))
    dispatch(city, late, at(MONDAY, 9, 10))  # due 15:10, as A
    with pytest.raises(WorkflowError, match="overdue"):
        step(city, late, at(MONDAY, 15, 20), "request_suspension", "handler", reason="budget",
             data={"until": "2027-03-01T00:00:00"})  # fmt: skip
    assert WorkOrder.get_by_id(late.id).suspension_requested_until is None


def test_voiding_a_filed_case_ends_its_dispatch_stage(city, ctx):
    """The evaluation counts a void from *filed* as the end of the dispatch stage (docs/evaluation.md):
    decided at 10:10, within the limit (10:20), so on time."""
    c = reported(city, at(MONDAY, 10))
    file(city, c, at(MONDAY, 10, 5))
    step(city, c, at(MONDAY, 10, 10), "void", "shift_leader", reason="duplicate")
    r = figures.rates(*figures.today_period(NOW), now=NOW)
    assert (r["due_to_dispatch"], r["dispatched_on_time"]) == (1, 1)


def test_overdue_feed_top_and_hotspots(history, city, ctx):
    assert [o.number for o in figures.overdue_now(now=NOW)] == [history["f"].number]
    assert figures.overdue_now(now=at(FRIDAY, 16)).count() == 0
    newest = figures.newest(limit=3)
    assert [o.id for o in newest] == [history["e"].id, history["c"].id, history["d"].id]
    start, end = figures.last_days_period(30, NOW)
    assert figures.top_categories(start, end) == [("0101", "暴露垃圾", 6)]
    assert figures.hotspots(start, end) == [
        (city.grid.code, city.grid.name, 5),
        (city.other_grid.code, city.other_grid.name, 1),
    ]
    assert figures.open_by_grid() == {city.grid.code: 4, city.other_grid.code: 1}


def test_scoped_figures(history, city, ctx):
    landscaping = scope.scope_condition(city.users["other_handler"])
    today = figures.today_period(NOW)
    assert figures.counts(*today, landscaping)["reported"] == 0
    month = figures.last_days_period(30, NOW)
    target = figures.evaluation_scope(city.users["other_handler"])
    assert target == figures.EvaluationScope("department", (str(city.landscaping.id),))
    r = figures.rates(*month, target, now=NOW)
    # F, still at landscaping, fell due on Friday and is not handled.
    assert (r["due_to_handle"], r["handled_on_time"], r["on_time_handling_rate"]) == (1, 0, 0.0)
    assert figures.overdue_now(landscaping, NOW).count() == 1
    other_grid = scope.scope_condition(city.users["other_collector"])
    assert figures.counts(*today, other_grid) == {"reported": 1, "filed": 0, "dispatched": 0, "handled": 0, "closed": 0}
    assert [o.id for o in figures.newest(other_grid)] == [history["e"].id]


def test_zero_denominators_are_none(city, ctx):
    r = figures.rates(*figures.today_period(NOW), now=NOW)
    assert r["on_time_handling_rate"] is None and r["on_time_dispatch_rate"] is None


def test_a_collectors_rates_are_their_grids_summed(history, city, ctx):
    """Every case but E is in the collector's grid (their community has one): the city's figures.
    The other collector's grid holds only E, never filed: nothing due."""
    month = figures.last_days_period(30, NOW)
    target = figures.evaluation_scope(city.users["collector"])
    assert target == figures.EvaluationScope("grid", (city.grid.code,))
    assert figures.rates(*month, target, now=NOW) == figures.rates(*month, now=NOW)
    other = figures.rates(*month, figures.evaluation_scope(city.users["other_collector"]), now=NOW)
    assert (other["due_to_handle"], other["due_to_dispatch"], other["on_time_handling_rate"]) == (0, 0, None)


def test_a_user_seeing_only_own_reports_gets_no_rates(city, ctx):
    """No evaluation level measures "the cases I reported": no rates rather than other ones."""
    from core.responsibility.models import GridAssignment

    GridAssignment.delete().where(GridAssignment.user == city.users["other_collector"]).execute()
    assert figures.evaluation_scope(city.users["other_collector"]) is None


def test_the_dashboard_uses_the_evaluations_city_figures(history, ctx):
    from core.evaluation.indicators import city_figures

    for start, end in (figures.today_period(NOW), figures.last_days_period(30, NOW)):
        evaluation = city_figures(start, min(end, NOW))
        r = figures.rates(start, end, now=NOW)
        assert r == {code: evaluation[code] for code in figures.RATE_CODES}
        counts = figures.counts(start, end)
        assert counts == {code: evaluation[code] for code in ("reported", "filed", "dispatched", "handled", "closed")}


# --- over HTTP --------------------------------------------------------------------------------------


def test_the_dashboard_shows_every_widget_with_its_polling(app, history):
    client = client_for(app, "dispatcher")
    with clock.frozen(NOW):
        html = client.get("/").get_data(as_text=True)
    for name in ("today", "overdue", "feed", "map", "top"):
        assert f'id="dash-{name}"' in html
        assert f'hx-get="/dashboard/widgets/{name}" hx-trigger="every 30s"' in html
    assert "The whole city" in html
    assert history["e"].number in html  # the feed
    assert "/grids/map.geojson?measure=open" in html
    assert html.count('<script type="application/json">') == 1  # the top categories chart
    assert "chart.umd.min.js" in html and "js/charts.js" in html
    # The two widgets of the evaluation's figures fetch themselves as soon as the page is in, then poll.
    for name in ("rates", "trend"):
        assert f'id="dash-{name}" class="dash dash-{name}" hx-get="/dashboard/widgets/{name}" hx-trigger="load"' in html
        with clock.frozen(NOW):
            fragment = client.get(
                f"/dashboard/widgets/{name}", headers={"HX-Request": "true", "HX-Target": f"dash-{name}"}
            )
        fragment = fragment.get_data(as_text=True)
        assert fragment.lstrip().startswith(f'<div id="dash-{name}"')
        assert 'hx-trigger="every 30s"' in fragment
        if name == "rates":
            assert "handled on time / due to handle" in fragment and "dispatched on time / due to dispatch" in fragment
        else:
            assert '<script type="application/json">' in fragment  # its chart
    assert "handled on time / due to handle" not in html  # computed after the page, not in it


def test_a_user_without_an_evaluation_scope_gets_no_rates_placeholder(app, city):
    """The rates widget's placeholder follows the widget: no evaluation level measures "the cases I
    reported", so such a user gets neither."""
    from core.responsibility.models import GridAssignment

    with app.app_context(), db.connection_context():
        GridAssignment.delete().where(GridAssignment.user == city.users["other_collector"]).execute()
    html = client_for(app, "other_collector").get("/").get_data(as_text=True)
    assert client_for(app, "other_collector").get("/dashboard/widgets/rates").status_code == 404
    assert 'id="dash-trend"' in html
    assert 'id="dash-rates"' not in html


def test_the_refresh_interval_is_configurable(make_app):
    app = make_app(DASHBOARD_REFRESH_SECONDS=5)
    build_city()
    html = client_for(app, "dispatcher").get("/").get_data(as_text=True)
    assert 'hx-trigger="every 5s"' in html


def test_zero_denominator_shows_a_dash(app, city):
    with clock.frozen(NOW):
        html = (
            client_for(app, "dispatcher")
            .get("/dashboard/widgets/rates", headers={"HX-Request": "true", "HX-Target": "dash-rates"})
            .get_data(as_text=True)
        )
    assert html.lstrip().startswith('<div id="dash-rates"')  # the fragment alone
    assert re.findall(r'data-figure="on_time_\w+_rate">([^<]*)<', html) == ["—", "—", "—", "—"]
    assert "0 / 0" in html


def test_rates_widget_shows_the_figures(app, history):
    with clock.frozen(NOW):
        html = client_for(app, "dispatcher").get("/dashboard/widgets/rates").get_data(as_text=True)
    assert re.findall(r'data-figure="on_time_\w+_rate">([^<]*)<', html) == ["50.0 %", "60.0 %", "50.0 %", "33.3 %"]
    assert "<html" in html  # without htmx, the widget is a page of its own


@pytest.mark.parametrize(
    ("username", "scope", "today_reported"),
    [
        ("dispatcher", "The whole city", 5),
        ("leader", "The whole city", 5),
        ("handler", "Cases of 环卫处", 3),  # A, B and D were dispatched to sanitation; C and E were not
        ("other_handler", "Cases of 园林处", 0),
        ("other_collector", "Cases in your grids", 1),
    ],
)
def test_widgets_respect_who_is_looking(app, history, username, scope, today_reported):
    with clock.frozen(NOW):
        client = client_for(app, username)
        html = client.get("/dashboard/widgets/today", headers={"HX-Request": "true", "HX-Target": "dash-today"})
    page = text_of(html.get_data(as_text=True))
    assert scope in page
    assert f"Reported {today_reported} " in page


def test_overdue_list_is_scoped(app, history):
    with clock.frozen(NOW):
        city_wide = client_for(app, "dispatcher").get("/dashboard/overdue").get_data(as_text=True)
        sanitation = client_for(app, "handler").get("/dashboard/overdue").get_data(as_text=True)
        landscaping = client_for(app, "other_handler").get("/dashboard/overdue").get_data(as_text=True)
        widget = client_for(app, "dispatcher").get("/dashboard/widgets/overdue").get_data(as_text=True)
    number = history["f"].number
    assert number in city_wide and number in landscaping and number not in sanitation
    assert 'data-figure="overdue">1<' in widget


def test_fragment_endpoints_are_guarded(app, city):
    anonymous = app.test_client().get("/dashboard/widgets/today")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    htmx = app.test_client().get("/dashboard/widgets/today", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and "/login" in htmx.headers["HX-Redirect"]
    client = client_for(app, "dispatcher")
    assert client.get("/dashboard/widgets/nosuch").status_code == 404
    assert client.get("/dashboard/widgets/today").status_code == 200


def test_polling_does_not_keep_an_idle_session_alive(app, city):
    poll = {"HX-Request": "true", "HX-Target": "dash-today"}
    with clock.frozen(MONDAY.replace(hour=9)):
        client = client_for(app, "dispatcher")
    with clock.frozen(MONDAY.replace(hour=9, minute=20)):
        assert client.get("/dashboard/widgets/today", headers=poll).status_code == 200
    with clock.frozen(MONDAY.replace(hour=9, minute=40)):
        expired = client.get("/dashboard/widgets/today", headers=poll)
    assert expired.status_code == 204 and "/login" in expired.headers["HX-Redirect"]
    with clock.frozen(MONDAY.replace(hour=10)):
        client = client_for(app, "dispatcher")
    with clock.frozen(MONDAY.replace(hour=10, minute=20)):
        assert client.get("/dashboard/widgets/today").status_code == 200  # opened by hand: activity
    with clock.frozen(MONDAY.replace(hour=10, minute=40)):
        assert client.get("/dashboard/widgets/today", headers=poll).status_code == 200


def test_users_without_dashboard_permission_are_refused(app, city):
    from core.org import Role, RolePermission

    with db.connection_context():
        role = Role.get(Role.code == "dispatcher")
        RolePermission.delete().where(
            (RolePermission.role == role) & (RolePermission.permission == "dashboard.view")
        ).execute()
    client = client_for(app, "dispatcher")
    assert client.get("/dashboard/widgets/today").status_code == 403
    assert client.get("/dashboard/overdue").status_code == 403


def test_the_plugin_widget_example_still_renders(make_app, monkeypatch):
    from tests.support import GOOD_PLUGINS, PLUGIN_SETS

    monkeypatch.syspath_prepend(str(PLUGIN_SETS))
    app = make_app(PLUGINS_DIR=GOOD_PLUGINS)
    build_city()
    html = client_for(app, "dispatcher").get("/").get_data(as_text=True)
    assert "Recorder sees dispatcher" in html and 'id="dash-today"' in html


def test_queries_use_the_indexes(app, history, ctx):
    """EXPLAIN: the period queries search an index instead of scanning the table (on PostgreSQL with
    sequential scans discouraged, since a table this small would otherwise be read whole)."""
    sqlite = is_sqlite()
    if not sqlite:
        db.execute_sql("SET enable_seqscan = off")
    start, end = figures.last_days_period(30, NOW)
    queries = {
        "counts": figures._events(start, end, ["create"], None),
        "handling": WorkOrder.select().where((WorkOrder.due_at >= start) & (WorkOrder.due_at < end)),
        "reported": WorkOrder.select().where((WorkOrder.reported_at >= start) & (WorkOrder.reported_at < end)),
        "overdue": figures.overdue_now(now=NOW),
    }
    for name, query in queries.items():
        sql, params = query.sql()
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in db.execute_sql(explain + sql, params).fetchall())
        assert ("USING INDEX" in plan or "USING COVERING INDEX" in plan) if sqlite else "Index" in plan, (name, plan)


def _numbers(html: str, pattern: str) -> list[str]:
    return [text.strip() for text in re.findall(pattern, html, re.S)]


def test_the_dashboard_rate_equals_the_evaluation_pages(app, history, city):
    """A department user's "last 30 days" on-time handling rate, and the evaluation page's figure for the
    same department and days: at Tuesday 00:00 the dashboard's last 30 days are 2 to 30 November (today,
    1 December, has no passed deadline yet), the evaluation period 2026-11-02..2026-11-30."""
    tuesday = MONDAY + timedelta(days=1)
    with clock.frozen(tuesday):
        dashboard = client_for(app, "handler").get("/dashboard/widgets/rates").get_data(as_text=True)
        evaluation = (
            client_for(app, "leader")
            .get("/evaluation/?period=2026-11-02..2026-11-30&level=department")
            .get_data(as_text=True)
        )
    today, month = _numbers(dashboard, r'data-figure="on_time_handling_rate">([^<]*)<')
    assert today == "—" and month == "50.0 %"  # sanitation: A on time, B late
    assert "on_time_dispatch_rate" not in dashboard  # not a department's figure
    row = re.search(rf'<tr data-key="{city.sanitation.id}".*?</tr>', evaluation, re.S).group(0)
    cell = re.search(r'data-code="on_time_handling_rate">(.*?)</td>', row, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", cell).strip() == "50.00%"
    assert float(month.rstrip(" %")) == float(re.sub(r"<[^>]+>", "", cell).strip().rstrip("%"))


def test_a_collectors_rates_and_trend_widgets_name_their_evaluation_scope(app, history):
    with clock.frozen(NOW):
        client = client_for(app, "collector")
        rates = client.get("/dashboard/widgets/rates").get_data(as_text=True)
        trend = client.get("/dashboard/widgets/trend").get_data(as_text=True)
    assert "Your unit grid (evaluation level: unit grids)" in rates
    # the collector's grid holds every case but E: the city's figures (test_rates_today, ..._over_thirty_days)
    assert re.findall(r'data-figure="on_time_\w+_rate">([^<]*)<', rates) == ["50.0 %", "60.0 %", "50.0 %", "33.3 %"]
    chart = json.loads(re.search(r'<script type="application/json">(.*?)</script>', trend, re.S).group(1))
    line = chart["datasets"][-1]
    assert line["type"] == "line" and line["data"][-4] == 0.0 and line["data"][-1] == 50.0  # Friday, Monday
