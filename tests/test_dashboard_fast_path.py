"""The home page's timeliness figures come from one by-day computation per request (issue 11, "Slow
pages"): today's rates are its last day, the 30 days' its sum, the trend its days. On the demo city, for
every demo user, these give exactly what the separate computations gave, and restricting a level's
computation to some objects (a collector's grids) gives exactly their rows of the whole level's."""

from datetime import timedelta

from core import clock
from core.dashboard import figures, widgets
from core.db import db
from core.evaluation import indicators
from core.org import User

LEVELS = ["grid", "community", "department", "collector", "dispatcher"]


def test_one_by_day_computation_gives_the_separate_computations_figures(app, load_demo):
    load_demo(app)
    with app.app_context(), db.connection_context():  # no request: nothing kept between calls
        now = clock.now()
        month = figures.last_days_period(widgets.TREND_DAYS, now)
        scopes = {figures.evaluation_scope(user) for user in User.select()} - {None}
        assert {scope.level for scope in scopes} >= {"city", "department", "grid"}
        for scope in scopes:
            for at in (now, now - timedelta(hours=5)):
                days = figures.daily_rates(*month, scope, now=at)
                today = figures.rates(*figures.today_period(at), scope, now=at)
                assert figures.rates_of_days(days, first=at.date()) == today, scope
                assert figures.rates_of_days(days) == figures.rates(*month, scope, now=at), scope
                assert figures.handling_of_days(days) == figures.daily_handling(*month, scope, now=at), scope
                alone = figures.daily_rates(*month, scope, at, figures.TREND_CODES)  # the trend polled alone
                assert figures.handling_of_days(alone) == figures.daily_handling(*month, scope, now=at), scope
        assert any(figures.rates(*month, scope, now=now)["due_to_handle"] for scope in scopes)


def test_a_levels_computation_restricted_to_some_objects_gives_their_rows(app, load_demo):
    load_demo(app)
    with app.app_context(), db.connection_context():
        end = clock.now()
        start = end - timedelta(days=30)
        for level in LEVELS:
            for by_day in (False, True):
                codes = figures.RATE_CODES if by_day else None  # by day: the stage measures only
                every = indicators.compute(level, start, end, codes, by_day=by_day)
                assert every, level
                some = sorted(every)[::3] + ["0" if level not in indicators.AREA_LEVELS else "999"]
                alone = indicators.compute(level, start, end, codes, by_day=by_day, keys=some)
                assert alone == {key: every[key] for key in some if key in every}, level
            assert indicators.compute(level, start, end, keys=[]) == {}


def test_the_rankings_drill_down_links_are_url_fors(app, load_demo):
    from flask import url_for

    from core.evaluation.views import drill_urls

    load_demo(app)
    with app.test_request_context(), db.connection_context():
        for period in ("2026-10", "2026-W44", "2026-10-01..2026-10-15"):
            for level, key in [("grid", "430602001001001"), ("department", "12"), ("collector", "5")]:
                for code in ("on_time_handling_rate", "reported"):
                    expected = url_for("evaluation.drill_down", period=period, level=level, key=key, code=code)
                    assert drill_urls(period, level)(key, code) == expected
