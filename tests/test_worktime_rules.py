"""The clock's rules (issue 12): a 工作日 as one working day's working hours (WORK_DAY_RULE "working_hours", the
default) or as a 24-hour working day ("calendar_days"), hand-computed on both; and limits counted in the
planting season ("种植季节15工作日"), in the pure arithmetic and on a case."""

import importlib.util
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playhouse.migrate import SchemaMigrator

from core import clock
from core.catalogue.models import FilingStandard
from core.db import db
from core.timelimits import parse_limit
from core.workorders import clocks
from core.workorders.jobs import resume_suspended
from core.workorders.models import WorkOrder
from core.worktime import deadlines
from core.worktime.calendar import Calendar, CalendarError
from core.worktime.seasons import DEFAULT_PLANTING_SEASONS, clock_start, in_season, next_opening, parse_seasons
from tests.support import client_for
from tests.workorder_support import act, build_city, report

ROOT = Path(__file__).resolve().parent.parent
D = datetime
H = 3600
# National Day 2026 (10-01..07 off, Saturday 10-10 worked) and a Wednesday holiday, 2026-11-11.
SPECIAL = {date(2026, 10, d): ("holiday", "国庆节") for d in range(1, 8)}
SPECIAL[date(2026, 10, 10)] = ("workday", "国庆节调休")
SPECIAL[date(2026, 11, 11)] = ("holiday", "test holiday")
HOURS = Calendar(days=SPECIAL)  # the default rule: working_hours, 8 h
DAYS24 = Calendar(days=SPECIAL, work_day_rule="calendar_days")
SHOP = Calendar(periods=[(7 * H, 11 * H), (13 * H, 17 * H), (19 * H, 21 * H)], weekdays=[1, 2, 3, 4, 5, 6])


# --- the two rules, by hand -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, value, working_hours, calendar_days",
    [
        # Monday 10:00 + 0.5: 10–12 and 14–16 | 12 hours later
        (D(2026, 11, 23, 10), Decimal("0.5"), D(2026, 11, 23, 16), D(2026, 11, 23, 22)),
        # Friday 17:00 + 1: 1 h on Friday, 7 h on Monday | the same clock time on Monday
        (D(2026, 11, 27, 17), 1, D(2026, 11, 30, 17), D(2026, 11, 30, 17)),
        # after hours: the next period, a whole day | the same (night) clock time
        (D(2026, 11, 23, 19), 1, D(2026, 11, 24, 18), D(2026, 11, 24, 19)),
        (D(2026, 11, 23, 19), Decimal("0.5"), D(2026, 11, 24, 12), D(2026, 11, 24, 7)),
        # from Saturday: Monday, Tuesday, Wednesday | ending at 24:00 of Wednesday
        (D(2026, 11, 28, 15), 3, D(2026, 12, 2, 18), D(2026, 12, 3, 0)),
        # the Wednesday holiday: Tuesday 17–18, then Thursday 8–12 and 14–17 | Thursday 17:00
        (D(2026, 11, 10, 17), 1, D(2026, 11, 12, 17), D(2026, 11, 12, 17)),
        # National Day: 2 h on 09-30, 6 h on 10-08 | 10-08 16:00
        (D(2026, 9, 30, 16), 1, D(2026, 10, 8, 16), D(2026, 10, 8, 16)),
        # the make-up Saturday counts: Friday 14–18, Saturday 8–12 | Saturday 14:00
        (D(2026, 10, 9, 14), 1, D(2026, 10, 10, 12), D(2026, 10, 10, 14)),
        # a quarter: 2 working hours, over the lunch break | 6 hours later
        (D(2026, 11, 23, 11), Decimal("0.25"), D(2026, 11, 23, 15), D(2026, 11, 23, 17)),
    ],
)
def test_both_rules_by_hand(start, value, working_hours, calendar_days):
    assert HOURS.due_at(start, value, "work_day") == working_hours
    assert DAYS24.due_at(start, value, "work_day") == calendar_days
    assert HOURS.counted_seconds(start, working_hours, "work_day") == value * 8 * H
    assert DAYS24.counted_seconds(start, calendar_days, "work_day") == value * 86400


def test_a_working_day_is_n_working_hours():
    for start in (D(2026, 11, 23, 10), D(2026, 11, 27, 17), D(2026, 9, 30, 16), D(2026, 11, 28, 15)):
        for value in (Decimal("0.5"), 1, 3, 10):
            assert HOURS.due_at(start, value, "work_day") == HOURS.due_at(start, value * 8, "work_hour")


def test_work_day_hours_and_other_periods():
    four = Calendar(work_day_hours=4)
    assert four.due_at(D(2026, 11, 23, 10), 1, "work_day") == D(2026, 11, 23, 16)  # 10–12, 14–16
    assert four.unit_seconds["work_day"] == 4 * H
    # Three periods of 10 h a day, Saturday working: a 工作日 is still 8 h (07–11, 13–17).
    assert SHOP.due_at(D(2026, 11, 23, 7), 1, "work_day") == D(2026, 11, 23, 17)
    assert SHOP.due_at(D(2026, 11, 28, 20), 1, "work_day") == D(2026, 11, 30, 16)  # Sat 20–21, Mon 7–11, 13–16
    with pytest.raises(CalendarError, match="working-day rule"):
        Calendar(work_day_rule="nights")
    with pytest.raises(CalendarError, match="at most 24 hours"):
        Calendar(work_day_hours=0)


def test_lights_and_reminders_stay_in_working_time():
    start, due = D(2026, 11, 27, 17), D(2026, 11, 30, 17)  # Friday 17:00 + 1 工作日
    # 80 % = 6 h 24 min of working time: Friday 17–18, Monday 8–12, then 14:00 + 1 h 24 min.
    assert deadlines.warn_at(start, due, "work_day", calendar=HOURS) == D(2026, 11, 30, 15, 24)
    assert HOURS.light(start, due, D(2026, 11, 28, 12), "work_day") == "green"  # the weekend does not count
    assert HOURS.light(start, due, D(2026, 11, 30, 15, 23, 59), "work_day") == "green"
    assert HOURS.light(start, due, D(2026, 11, 30, 15, 24), "work_day") == "yellow"
    assert HOURS.light(start, due, D(2026, 11, 30, 17), "work_day") == "yellow"
    assert HOURS.light(start, due, D(2026, 11, 30, 17, 0, 1), "work_day") == "red"
    # The old rule: Monday 10:00 + 0.5 is due at 22:00 and turns yellow at 19:36, after hours.
    old_due = DAYS24.due_at(D(2026, 11, 23, 10), Decimal("0.5"), "work_day")
    assert deadlines.warn_at(D(2026, 11, 23, 10), old_due, "work_day", calendar=DAYS24) == D(2026, 11, 23, 19, 36)


def _in_working_time(cal, moment):
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return cal.is_working_day(moment.date()) and any(s < seconds <= e for s, e in cal.periods)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.datetimes(min_value=D(2026, 8, 1), max_value=D(2027, 2, 1)).map(lambda d: d.replace(microsecond=0)),
    st.decimals(min_value=Decimal("0.05"), max_value=Decimal("60"), places=2),
)
def test_due_and_warning_times_fall_in_working_time(start, value):
    due = HOURS.due_at(start, value, "work_day")
    assert _in_working_time(HOURS, due)
    assert _in_working_time(HOURS, deadlines.warn_at(start, due, "work_day", calendar=HOURS))


def test_a_suspension_moves_the_deadline_by_the_working_time_it_held():
    due = D(2026, 11, 27, 17)
    lunch = (D(2026, 11, 25, 12, 30), D(2026, 11, 25, 13, 30))
    assert HOURS.due_after_pause(due, *lunch, "work_day") == due  # no working time held
    assert DAYS24.due_after_pause(due, *lunch, "work_day") == D(2026, 11, 27, 18)
    # Tuesday 16:00 → Wednesday 09:00 held 3 working hours: Friday 17–18, Monday 8–10.
    assert HOURS.due_after_pause(due, D(2026, 11, 24, 16), D(2026, 11, 25, 9), "work_day") == D(2026, 11, 30, 10)


# --- on a case, with the installation's configuration ------------------------------------------------------------


@pytest.fixture
def city(app):
    made = build_city()
    with app.app_context(), db.connection_context():
        yield made


def _standard(city, text):
    limit = parse_limit(text)
    return FilingStandard.create(
        category=city.category, seq=9, filing_condition="行道树缺失", limit_text=text, limit_value=limit.value,
        limit_unit=limit.unit, limit_note=limit.note, closing_condition="补种", handling_unit="", supervising_unit="",
        source="test",
    )  # fmt: skip


def _dispatched(city, standard, at):
    with clock.frozen(at):
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": standard.id})
        act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id})
    return WorkOrder.get_by_id(order.id)


def test_a_case_in_working_days_under_the_default_rule_and_its_suspension(city):
    order = _dispatched(city, _standard(city, "1工作日"), D(2026, 11, 27, 17))
    assert order.due_at == D(2026, 11, 30, 17) and order.stage_warn_at == D(2026, 11, 30, 15, 24)
    with clock.frozen(D(2026, 11, 30, 9)):  # 2 of 8 working hours used
        act(city, order, "request_suspension", "handler", reason="等苗木", data={"until": "2026-12-02"})
        act(city, order, "approve_suspension", "dispatcher")
    with clock.frozen(D(2026, 12, 2, 0, 5)):
        assert resume_suspended().params == {"n": 1}
    # The 6 working hours left run from Wednesday 08:00: 8–12 and 14–16.
    assert WorkOrder.get_by_id(order.id).due_at == D(2026, 12, 2, 16)


def test_the_calendar_days_rule_is_an_option(xiuhua_app):
    app = xiuhua_app(WORK_DAY_RULE="calendar_days")
    with app.app_context(), db.connection_context():
        city = build_city()
        order = _dispatched(city, _standard(city, "0.5工作日"), D(2026, 11, 23, 10))
        assert order.due_at == D(2026, 11, 23, 22)
        assert deadlines.current_calendar().unit_seconds["work_day"] == 86400


# --- planting seasons ------------------------------------------------------------------------------------------


def test_a_seasonal_limit_is_read_from_its_words():
    assert parse_limit("种植季节15工作日").season == "planting"
    assert parse_limit("栽植季节10工作日").season == "planting"
    assert parse_limit("15工作日").season == "" and parse_limit("制止2工作时").season == ""


def test_seasons_are_month_day_ranges():
    seasons = parse_seasons(DEFAULT_PLANTING_SEASONS)
    assert seasons == (((3, 1), (4, 30)), ((10, 1), (11, 30)))
    assert in_season(date(2027, 4, 30), seasons) and not in_season(date(2027, 5, 1), seasons)
    assert next_opening(date(2026, 12, 14), seasons) == date(2027, 3, 1)
    assert next_opening(date(2027, 6, 1), seasons) == date(2027, 10, 1)
    assert next_opening(date(2027, 3, 15), seasons) == date(2027, 3, 15)
    winter = parse_seasons("11-15..02-15")  # over the new year
    assert in_season(date(2027, 1, 10), winter) and next_opening(date(2027, 3, 1), winter) == date(2027, 11, 15)
    assert next_opening(date(2027, 1, 1), parse_seasons(["02-29..03-31"])) == date(2027, 3, 1)  # no 29th
    for bad in ("spring", "02-30..03-01", "13-01..13-02"):
        with pytest.raises(CalendarError):
            parse_seasons([bad])


def test_outside_the_season_the_clock_starts_when_it_opens():
    seasons = parse_seasons(DEFAULT_PLANTING_SEASONS)
    # 14 December → the first working period of the season's first working day, Monday 1 March.
    assert clock_start(HOURS, D(2026, 12, 14, 10), seasons) == D(2027, 3, 1, 8)
    # Autumn opens on Thursday 1 October, National Day: the first working day is 10-08.
    assert clock_start(HOURS, D(2026, 9, 20, 10), seasons) == D(2026, 10, 8, 8)
    # Inside the season (even after hours on its last day) the start is the start.
    assert clock_start(HOURS, D(2027, 3, 15, 10), seasons) == D(2027, 3, 15, 10)
    assert clock_start(HOURS, D(2027, 4, 30, 19), seasons) == D(2027, 4, 30, 19)


def test_once_started_the_clock_runs_past_the_seasons_end(app):
    # Friday 30 April 17:00, the season's last day, 15 工作日 = 120 working hours: 1 h on Friday, then
    # Labour Day (1–5 May) is skipped and the clock runs on in May: 14 days from Thursday 6 May (to Tuesday
    # 25 May 18:00) and 7 h on Wednesday 26 May.
    labour = Calendar(days={date(2027, 5, d): "holiday" for d in range(1, 6)})
    with app.app_context():
        due = deadlines.due_at(D(2027, 4, 30, 17), 15, "work_day", season="planting", calendar=labour)
    assert due == D(2027, 5, 26, 17)


def test_a_seasonal_case_outside_the_season_waits_and_says_so(app, city):
    standard = _standard(city, "种植季节15工作日")
    order = _dispatched(city, standard, D(2026, 12, 14, 10))
    assert order.limit_season == "planting" and order.clock_from == D(2027, 3, 1, 8)
    # 15 working days from Monday 1 March 08:00: three whole weeks, to Friday 19 March 18:00.
    assert order.due_at == D(2027, 3, 19, 18)
    assert order.stage_started_at == D(2027, 3, 1, 8)
    assert clocks.light(order, D(2027, 2, 26, 12)) == "green"  # no time used before the season
    assert order.stage_warn_at == D(2027, 3, 16, 18)  # 80 % = 12 working days, to the end of Tuesday 16th
    page = client_for(app, "handler").get(f"/orders/{order.id}").get_data(as_text=True)
    assert "计时自种植季节开始：2027-03-01" in page


def test_a_seasonal_case_inside_the_season_runs_at_once(app, city):
    order = _dispatched(city, _standard(city, "种植季节15工作日"), D(2027, 3, 15, 10))
    assert order.clock_from is None
    # Monday 15 March 10:00: 6 h that day, 14 days to Friday 2 April (118 h), 2 h on Monday 5 April.
    assert order.due_at == D(2027, 4, 5, 10)
    page = client_for(app, "handler").get(f"/orders/{order.id}").get_data(as_text=True)
    assert "种植季节开始" not in page


def test_planting_seasons_are_configurable(xiuhua_app):
    app = xiuhua_app(PLANTING_SEASONS=["04-01..04-30"])
    with app.app_context(), db.connection_context():
        city = build_city()
        order = _dispatched(city, _standard(city, "种植季节1工作日"), D(2027, 3, 15, 10))
        assert order.clock_from == D(2027, 4, 1, 8) and order.due_at == D(2027, 4, 1, 18)


def test_the_explanation_names_the_rule(app):
    with app.test_request_context(), force_locale("en"):
        hours = deadlines.explain(D(2026, 11, 27, 17), "1工作日", calendar=HOURS)
        assert hours.due == D(2026, 11, 30, 17) and hours.first == D(2026, 11, 27, 17)
        assert "08:00-12:00, 14:00-18:00 on working days, 8 working hours to the working day" in hours.text
        days = deadlines.explain(D(2026, 11, 27, 17), "1工作日", calendar=DAYS24)
        assert "to the same clock time" in days.text


def test_the_explainer_counts_a_seasonal_limit_from_the_season(app):
    with app.test_request_context(), force_locale("en"):
        result = deadlines.explain(D(2026, 12, 14, 10), "种植季节15工作日", calendar=HOURS)
        assert result.first == D(2027, 3, 1, 8) and result.due == D(2027, 3, 19, 18)
        assert result.skipped_count == 4  # the two weekends in March, not the winter
        assert "Counting starts 2027-03-01" in result.text


def test_time_left_of_a_working_day_limit_reads_in_working_days_and_hours(app):
    with app.test_request_context(), force_locale("en"), db.connection_context():
        now = D(2026, 11, 23, 10)  # Monday
        list_clocks = clocks.ListClocks(now)
        order = WorkOrder(status="handling", stage_due_at=D(2026, 11, 25, 16), stage_unit="work_day")
        assert list_clocks.left(order) == "2 working d left"  # 6 + 8 + 6 working hours
        order.stage_due_at = D(2026, 11, 23, 16)
        assert list_clocks.left(order) == "4 working h left"  # 10–12 and 14–16


def test_migration_0035_gives_cases_filed_before_it_their_standards_season(city):
    seasonal = _dispatched(city, _standard(city, "种植季节15工作日"), D(2027, 3, 15, 10))
    plain = _dispatched(city, city.standard, D(2027, 3, 15, 10))
    spec = importlib.util.spec_from_file_location("migration_0035", ROOT / "core/migrations/0035_limit_season.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migrator = SchemaMigrator.from_database(db.obj)
    migration.down(migrator, db.obj)  # the schema before 0035
    assert "limit_season" not in {column.name for column in db.get_columns("work_order")}
    migration.up(migrator, db.obj)
    assert WorkOrder.get_by_id(seasonal.id).limit_season == "planting"
    assert WorkOrder.get_by_id(plain.id).limit_season == ""
