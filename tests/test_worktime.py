"""The working-time calendar: deadline arithmetic for every unit (hand-computed, on calendars built
here, never on the shipped CSV), counted time and lights at their boundaries, pauses, properties
(hypothesis), the `flask calendar` commands, and the admin pages (audited, validated, guarded)."""

import io
import re
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import AuditEntry
from core.db import db
from core.settings import put as put_setting
from core.timelimits import CONTINUOUS_SECONDS, UNITS
from core.worktime import deadlines
from core.worktime.calendar import UNIT_SECONDS, Calendar, CalendarError
from core.worktime.deadlines import counted_seconds, due_at, light
from core.worktime.edits import decode, read_csv, save_hours, set_day
from core.worktime.models import CalendarDay
from tests.support import PASSWORD, csrf_token, form_version

D = datetime
H = 3600

# National Day 2026 as a test calendar: 10-01..07 off, Sunday 09-20 and Saturday 10-10 worked; also a
# holiday on a Wednesday in November to cross mid-week.
HOLIDAYS = {date(2026, 10, d): ("holiday", "国庆节") for d in range(1, 8)}
SPECIAL = {**HOLIDAYS, date(2026, 9, 20): ("workday", "国庆节调休"), date(2026, 10, 10): ("workday", "国庆节调休")}
SPECIAL[date(2026, 11, 11)] = ("holiday", "test holiday")
CAL = Calendar(days=SPECIAL)
# The same days under WORK_DAY_RULE "calendar_days" (a work_day is a 24-hour working day); the default rule,
# "working_hours", is tested by hand in tests/test_worktime_rules.py.
DAYS24 = Calendar(days=SPECIAL, work_day_rule="calendar_days")
# Not the default: three periods, Monday–Saturday.
SHOP = Calendar(periods=[(7 * H, 11 * H), (13 * H, 17 * H), (19 * H, 21 * H)], weekdays=[1, 2, 3, 4, 5, 6])


def due(start, value, unit, cal=CAL):
    return due_at(start, value, unit, calendar=cal)


# --- due_at, by hand ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, value, expected",
    [
        (D(2026, 11, 27, 17, 30), 4, D(2026, 11, 30, 11, 30)),  # the brief's example: Friday → Monday
        (D(2026, 11, 23, 11, 0), 2, D(2026, 11, 23, 15, 0)),  # across the lunch break
        (D(2026, 11, 23, 11, 0), 1, D(2026, 11, 23, 12, 0)),  # ends at the end of a period, not at 14:00
        (D(2026, 11, 23, 12, 30), 1, D(2026, 11, 23, 15, 0)),  # start in the lunch break
        (D(2026, 11, 23, 12, 0), 4, D(2026, 11, 23, 18, 0)),
        (D(2026, 11, 23, 19, 0), 1, D(2026, 11, 24, 9, 0)),  # start at night
        (D(2026, 11, 23, 6, 0), 1, D(2026, 11, 23, 9, 0)),  # start before work
        (D(2026, 11, 23, 8, 0), 8, D(2026, 11, 23, 18, 0)),  # a whole day ends at 18:00 the same day
        (D(2026, 11, 23, 8, 0), 9, D(2026, 11, 24, 9, 0)),
        (D(2026, 11, 23, 8, 0), 40, D(2026, 11, 27, 18, 0)),  # a working week
        (D(2026, 11, 23, 8, 0), 41, D(2026, 11, 30, 9, 0)),
        (D(2026, 11, 28, 10, 0), 1, D(2026, 11, 30, 9, 0)),  # start on Saturday
        (D(2026, 11, 10, 17, 0), 2, D(2026, 11, 12, 9, 0)),  # a Wednesday holiday
        (D(2026, 9, 30, 17, 0), 2, D(2026, 10, 8, 9, 0)),  # National Day week
        (D(2026, 10, 9, 17, 0), 2, D(2026, 10, 10, 9, 0)),  # make-up Saturday
        (D(2026, 9, 19, 10, 0), 1, D(2026, 9, 20, 9, 0)),  # make-up Sunday
        (D(2026, 11, 23, 8, 0), Decimal("0.5"), D(2026, 11, 23, 8, 30)),
        (D(2026, 11, 23, 11, 0), Decimal("1.5"), D(2026, 11, 23, 14, 30)),
        (D(2026, 11, 23, 11, 59, 30), Decimal("0.25"), D(2026, 11, 23, 14, 14, 30)),
    ],
)
def test_work_hours(start, value, expected):
    assert due(start, value, "work_hour") == expected


def test_work_hours_on_another_calendar():
    # Saturday is working, Sunday not; periods 07-11, 13-17, 19-21 (10 h a day).
    assert due(D(2026, 11, 28, 20, 0), 3, "work_hour", SHOP) == D(2026, 11, 30, 9, 0)
    assert due(D(2026, 11, 23, 10, 0), 2, "work_hour", SHOP) == D(2026, 11, 23, 14, 0)
    assert due(D(2026, 11, 23, 16, 0), 2, "work_hour", SHOP) == D(2026, 11, 23, 20, 0)
    assert due(D(2026, 11, 23, 7, 0), 10, "work_hour", SHOP) == D(2026, 11, 23, 21, 0)


@pytest.mark.parametrize(
    "start, value, expected",
    [
        (D(2026, 11, 26, 10, 0), 1, D(2026, 11, 27, 10, 0)),  # Thursday → Friday, same clock time
        (D(2026, 11, 27, 10, 0), 1, D(2026, 11, 30, 10, 0)),  # over the weekend
        (D(2026, 11, 27, 20, 0), 1, D(2026, 11, 30, 20, 0)),  # outside working hours: still the same time
        (D(2026, 11, 23, 7, 0), 2, D(2026, 11, 25, 7, 0)),
        (D(2026, 11, 28, 15, 0), 3, D(2026, 12, 3, 0, 0)),  # from Saturday: Mon, Tue, Wed → end of Wednesday
        (D(2026, 11, 10, 9, 0), 1, D(2026, 11, 12, 9, 0)),  # the Wednesday holiday is skipped
        (D(2026, 11, 11, 9, 0), 1, D(2026, 11, 13, 0, 0)),  # start on that holiday: Thursday counts, whole
        (D(2026, 9, 30, 10, 0), 1, D(2026, 10, 8, 10, 0)),  # National Day
        (D(2026, 10, 9, 10, 0), 1, D(2026, 10, 10, 10, 0)),  # make-up Saturday counts
        (D(2026, 9, 19, 10, 0), 1, D(2026, 9, 21, 0, 0)),  # Saturday start; make-up Sunday is the one day
        (D(2026, 11, 23, 10, 0), Decimal("0.5"), D(2026, 11, 23, 22, 0)),  # fractions of the 24-hour day
        (D(2026, 11, 27, 20, 0), Decimal("0.5"), D(2026, 11, 30, 8, 0)),
        (D(2026, 11, 2, 9, 0), 30, D(2026, 12, 15, 9, 0)),  # 30 working days, 11-11 off
    ],
)
def test_work_days_under_the_calendar_days_rule(start, value, expected):
    assert due(start, value, "work_day", DAYS24) == expected


@pytest.mark.parametrize(
    "start, value, unit, expected",
    [
        (D(2026, 11, 27, 17, 30), 4, "urgent_hour", D(2026, 11, 27, 21, 30)),
        (D(2026, 11, 27, 23, 0), 2, "hour", D(2026, 11, 28, 1, 0)),
        (D(2026, 9, 30, 10, 0), 2, "urgent_day", D(2026, 10, 2, 10, 0)),  # holidays count
        (D(2026, 9, 30, 10, 0), 2, "day", D(2026, 10, 2, 10, 0)),
        (D(2026, 11, 27, 17, 30), Decimal("1.5"), "hour", D(2026, 11, 27, 19, 0)),
        (D(2026, 11, 27, 17, 30), Decimal("0.5"), "day", D(2026, 11, 28, 5, 30)),
    ],
)
def test_continuous_units(start, value, unit, expected):
    assert due(start, value, unit) == expected


def test_continuous_units_need_no_calendar_or_database():
    assert due_at(D(2026, 1, 1), 3, "urgent_hour") == D(2026, 1, 1, 3)
    assert counted_seconds(D(2026, 1, 1), D(2026, 1, 2), "day") == 86400


def test_zero_limit_is_the_start_and_bad_values_are_refused():
    start = D(2026, 11, 23, 10)
    assert due(start, 0, "work_hour") == start
    for value, unit in [(-1, "work_hour"), ("x", "hour"), (float("nan"), "day"), (1, "fortnight")]:
        with pytest.raises(CalendarError):
            due(start, value, unit)
    with pytest.raises(CalendarError):
        due(D(9999, 12, 30), 5, "day")


def test_values_round_to_the_whole_second():
    assert due(D(2026, 11, 23, 8), Decimal("0.0001"), "work_hour") == D(2026, 11, 23, 8, 0, 0)  # 0.36 s
    assert due(D(2026, 11, 23, 8), Decimal("0.0002"), "work_hour") == D(2026, 11, 23, 8, 0, 1)  # 0.72 s
    assert due(D(2026, 11, 23, 8), 1.25, "work_hour") == D(2026, 11, 23, 9, 15)  # floats too


def test_calendar_data_is_checked():
    with pytest.raises(CalendarError):
        Calendar(periods=[(8 * H, 12 * H), (11 * H, 13 * H)])  # overlap
    with pytest.raises(CalendarError):
        Calendar(periods=[(12 * H, 8 * H)])
    with pytest.raises(CalendarError):
        Calendar(periods=[(20 * H, 25 * H)])
    with pytest.raises(CalendarError):
        Calendar(weekdays=[])
    with pytest.raises(CalendarError):
        Calendar(days={date(2026, 1, 1): "party"})
    assert Calendar(periods=[(8 * H, 12 * H), (12 * H, 13 * H)]).periods == ((8 * H, 12 * H), (12 * H, 13 * H))


def test_the_pure_calendar_counts_continuous_units_as_the_time_limits_define_them():
    assert CONTINUOUS_SECONDS == {u: s for u, s in UNIT_SECONDS.items() if u not in ("work_hour", "work_day")}


def test_calendar_errors_speak_the_users_language(app):
    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        with pytest.raises(CalendarError) as raised:
            Calendar(weekdays=[])
        error = raised.value
        assert str(error) == gettext("Choose at least one working weekday.") != "Choose at least one working weekday."
        with force_locale("en"):
            assert str(error) == "Choose at least one working weekday."


# --- counted_seconds and lights ---------------------------------------------------------------------------------


def counted(start, end, unit, cal=CAL):
    return counted_seconds(start, end, unit, calendar=cal)


def test_counted_seconds():
    assert counted(D(2026, 11, 27, 17, 30), D(2026, 11, 30, 11, 30), "work_hour") == 4 * H
    assert counted(D(2026, 11, 23, 12, 0), D(2026, 11, 23, 14, 0), "work_hour") == 0
    assert counted(D(2026, 11, 28, 0, 0), D(2026, 11, 30, 0, 0), "work_hour") == 0
    assert counted(D(2026, 9, 30, 8, 0), D(2026, 10, 8, 8, 0), "work_hour") == 8 * H  # 09-30 and nothing else
    assert counted(D(2026, 9, 30, 8, 0), D(2026, 10, 9, 8, 0), "work_hour") == 16 * H  # and 10-08
    assert counted(D(2026, 11, 30, 11, 30), D(2026, 11, 27, 17, 30), "work_hour") == -4 * H
    assert counted(D(2026, 11, 27, 10, 0), D(2026, 11, 30, 10, 0), "work_day", DAYS24) == 86400
    assert counted(D(2026, 11, 28, 10, 0), D(2026, 11, 30, 10, 0), "work_day", DAYS24) == 10 * H
    assert counted(D(2026, 11, 27, 10, 0), D(2026, 11, 30, 10, 0), "work_day") == 8 * H  # working hours
    assert counted(D(2026, 11, 27, 10, 0), D(2026, 11, 30, 10, 0), "urgent_hour") == 72 * H
    assert counted(D(2026, 11, 23, 8), D(2026, 11, 23, 8, 0, 0, 500000), "work_hour") == 0.5


def test_light_at_the_80_and_100_percent_boundaries_of_working_hours():
    start, limit_due = D(2026, 11, 23, 8, 0), D(2026, 11, 23, 18, 0)  # 8 working hours
    # 80 % = 6 h 24 min of working time: 4 h in the morning, 2 h 24 min after 14:00 → 16:24.
    assert light(start, limit_due, D(2026, 11, 23, 16, 23, 59), "work_hour", calendar=CAL) == "green"
    assert light(start, limit_due, D(2026, 11, 23, 16, 24), "work_hour", calendar=CAL) == "yellow"
    assert light(start, limit_due, D(2026, 11, 23, 18, 0), "work_hour", calendar=CAL) == "yellow"
    # The clock stands still at night: 100 % used, not beyond, until work resumes.
    assert light(start, limit_due, D(2026, 11, 23, 23, 0), "work_hour", calendar=CAL) == "yellow"
    assert light(start, limit_due, D(2026, 11, 24, 8, 0), "work_hour", calendar=CAL) == "yellow"
    assert light(start, limit_due, D(2026, 11, 24, 8, 0, 1), "work_hour", calendar=CAL) == "red"
    assert light(start, limit_due, D(2026, 11, 22, 8, 0), "work_hour", calendar=CAL) == "green"  # before start


def test_light_at_the_boundaries_of_continuous_time():
    start, limit_due = D(2026, 11, 28, 0, 0), D(2026, 11, 28, 10, 0)
    assert light(start, limit_due, D(2026, 11, 28, 7, 59, 59), "urgent_hour", calendar=CAL) == "green"
    assert light(start, limit_due, D(2026, 11, 28, 8, 0), "urgent_hour", calendar=CAL) == "yellow"
    assert light(start, limit_due, D(2026, 11, 28, 10, 0), "urgent_hour", calendar=CAL) == "yellow"
    assert light(start, limit_due, D(2026, 11, 28, 10, 0, 1), "urgent_hour", calendar=CAL) == "red"
    assert CAL.used_ratio(start, limit_due, D(2026, 11, 28, 5, 0), "urgent_hour") == 0.5


def test_light_of_working_days_under_the_calendar_days_rule():
    start = D(2026, 11, 23, 10, 0)
    limit_due = due(start, 5, "work_day", DAYS24)  # Mon → next Mon 10:00; 80 % = 4 days → Fri 10:00
    assert limit_due == D(2026, 11, 30, 10, 0)
    assert light(start, limit_due, D(2026, 11, 27, 9, 59), "work_day", calendar=DAYS24) == "green"
    assert light(start, limit_due, D(2026, 11, 27, 10, 0), "work_day", calendar=DAYS24) == "yellow"
    assert light(start, limit_due, D(2026, 11, 30, 10, 0, 1), "work_day", calendar=DAYS24) == "red"


# --- pauses -------------------------------------------------------------------------------------------------------


def test_a_pause_moves_the_due_time_by_the_clock_time_it_held():
    limit_due = D(2026, 11, 30, 11, 30)
    # Friday 16:00 → Monday 09:00 held 3 working hours (Fri 16–18, Mon 8–9): 11:30 + 3 h = 16:30.
    moved = CAL.due_after_pause(limit_due, D(2026, 11, 27, 16), D(2026, 11, 30, 9), "work_hour")
    assert moved == D(2026, 11, 30, 16, 30)
    # A pause over the weekend holds no working time, but 34 continuous hours.
    weekend = (D(2026, 11, 28, 10), D(2026, 11, 29, 20))
    assert CAL.due_after_pause(limit_due, *weekend, "work_hour") == limit_due
    assert CAL.due_after_pause(limit_due, *weekend, "urgent_hour") == limit_due + timedelta(hours=34)
    # work_day ("calendar_days"): a pause from Tuesday 10:00 to Thursday 10:00 holds two days.
    assert DAYS24.due_after_pause(D(2026, 11, 27, 10), D(2026, 11, 24, 10), D(2026, 11, 26, 10), "work_day") == D(
        2026, 12, 1, 10
    )


def test_a_year_long_suspension_is_fast():
    started = time.perf_counter()
    for unit in UNITS:
        moved = CAL.due_after_pause(D(2026, 11, 30, 11), D(2026, 11, 1), D(2027, 11, 1), unit)
        assert moved > D(2027, 5, 1)
    for _ in range(2000):
        CAL.due_after_pause(D(2026, 11, 30, 11), D(2026, 1, 1), D(2027, 1, 1), "work_hour")
        CAL.due_at(D(2026, 3, 2, 9), 30, "work_day")
    assert time.perf_counter() - started < 2  # microseconds each, not a loop over minutes


def test_lights_ignore_paused_time():
    start, original_due = D(2026, 11, 23, 8), D(2026, 11, 23, 18)
    # Still paused since 09:00: one hour used, however late it is.
    ongoing = [(D(2026, 11, 23, 9), None)]
    assert CAL.used_ratio(start, original_due, D(2026, 11, 25, 17), "work_hour", ongoing) == 1 / 8
    # Paused Monday 09:00 → Tuesday 09:00 (8 working hours): the due time moves to Tuesday 18:00.
    pause = (D(2026, 11, 23, 9), D(2026, 11, 24, 9))
    moved = CAL.due_after_pause(original_due, *pause, "work_hour")
    assert moved == D(2026, 11, 24, 18)
    now = D(2026, 11, 24, 15)  # 1 h before the pause + 09–12 and 14–15 after it = 5 of 8 h
    assert light(start, moved, now, "work_hour", pauses=[pause], calendar=CAL) == "green"
    assert CAL.used_ratio(start, moved, now, "work_hour", [pause]) == 5 / 8
    assert light(start, moved, now, "work_hour", calendar=CAL) == "yellow"  # 13 of 16 h without the pause


# --- properties -------------------------------------------------------------------------------------------------

PROPERTY_CAL = Calendar(days=SPECIAL)
PROPERTY_DAYS24 = Calendar(days=SPECIAL, work_day_rule="calendar_days")
both_rules = st.sampled_from([PROPERTY_CAL, PROPERTY_DAYS24])
starts = st.datetimes(min_value=D(2026, 8, 1), max_value=D(2027, 2, 1)).map(lambda d: d.replace(microsecond=0))
values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
units = st.sampled_from(sorted(UNITS))
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(starts, values, values, units, both_rules)
def test_due_at_is_monotonic_in_the_value(start, a, b, unit, cal):
    low, high = sorted((a, b))
    assert cal.due_at(start, low, unit) <= cal.due_at(start, high, unit)


@fast
@given(starts, values, units, both_rules)
def test_counted_time_to_the_due_time_is_the_limit(start, value, unit, cal):
    result = cal.due_at(start, value, unit)
    assert cal.counted_seconds(start, result, unit) == value * cal.unit_seconds[unit]
    assert cal.light(start, result, result, unit) == "yellow"


@fast
@given(starts, values, values, units, both_rules)
def test_limits_add_up(start, a, b, unit, cal):
    assert cal.due_at(cal.due_at(start, a, unit), b, unit) == cal.due_at(start, a + b, unit)


def test_unit_seconds_follow_the_work_day_rule():
    assert PROPERTY_CAL.unit_seconds == {**UNIT_SECONDS, "work_day": 8 * H}
    assert PROPERTY_DAYS24.unit_seconds == UNIT_SECONDS


@fast
@given(starts, values)
def test_a_work_hour_due_time_is_inside_or_at_the_end_of_a_working_period(start, value):
    result = PROPERTY_CAL.due_at(start, value, "work_hour")
    assert PROPERTY_CAL.is_working_day(result.date())
    seconds = result.hour * 3600 + result.minute * 60 + result.second
    assert any(s < seconds <= e for s, e in PROPERTY_CAL.periods)


def reference_working_seconds(cal, start, end):
    """Brute force, day by day: the overlap of [start, end] with every working period."""
    total, day = 0.0, start.date()
    while day <= end.date():
        if cal.is_working_day(day):
            for s, e in cal.periods:
                begin = datetime.combine(day, datetime.min.time()) + timedelta(seconds=s)
                finish = datetime.combine(day, datetime.min.time()) + timedelta(seconds=e)
                total += max(0.0, (min(end, finish) - max(start, begin)).total_seconds())
        day += timedelta(days=1)
    return total


@fast
@given(starts, st.integers(min_value=0, max_value=60 * 86400), st.sampled_from([PROPERTY_CAL, PROPERTY_DAYS24, SHOP]))
def test_counted_working_seconds_match_a_brute_force_count(start, span, cal):
    end = start + timedelta(seconds=span)
    assert cal.counted_seconds(start, end, "work_hour") == reference_working_seconds(cal, start, end)
    middle = start + timedelta(seconds=span // 3)
    for unit in ("work_hour", "work_day"):
        assert cal.counted_seconds(start, end, unit) == cal.counted_seconds(start, middle, unit) + cal.counted_seconds(
            middle, end, unit
        )


def test_explanations_name_the_days_the_clock_stood_still(app):
    with app.test_request_context():
        result = deadlines.explain(D(2026, 9, 30, 10), "3工作日", calendar=DAYS24)
        assert result.due == D(2026, 10, 10, 10)  # Sep 30 14 h, Oct 8 and 9, then 10 h of make-up Saturday
        assert result.skipped == [(date(2026, 10, 1), date(2026, 10, 7), "国庆节")] and result.skipped_count == 7
        assert "10-01–10-07 国庆节" in result.text and "2026-10-10" in result.text
        friday = deadlines.explain(D(2026, 11, 27, 18, 30), "1工作时", calendar=CAL)
        assert friday.first == D(2026, 11, 30, 8) and friday.skipped_count == 2  # Saturday and Sunday
        assert [run[0] for run in friday.skipped] == [date(2026, 11, 28), date(2026, 11, 29)]
        urgent = deadlines.explain(D(2026, 11, 27, 18, 30), "2紧急工作时", calendar=CAL)
        assert urgent.due == D(2026, 11, 27, 20, 30) and urgent.skipped == []


# --- the calendar in the database ----------------------------------------------------------------------------------


def test_the_installation_calendar_follows_edits_in_this_and_other_processes(app, monkeypatch):
    with app.app_context(), db.connection_context():
        friday = D(2026, 11, 27, 17, 30)
        assert due_at(friday, 4, "work_hour") == D(2026, 11, 30, 11, 30)
        set_day(date(2026, 11, 30), "holiday", "test")
        assert due_at(friday, 4, "work_hour") == D(2026, 12, 1, 11, 30)
        save_hours([(9 * H, 17 * H)], [1, 2, 3, 4, 5])
        assert due_at(friday, 4, "work_hour") == D(2026, 12, 1, 13, 0)  # 09:00-17:00, no lunch break
        # Another process deletes the holiday: seen after CHECK_INTERVAL, here made 0.
        monkeypatch.setattr(deadlines, "CHECK_INTERVAL", 0)
        with db.atomic():
            CalendarDay.delete().execute()
            put_setting(deadlines.VERSION_KEY, "changed elsewhere")
        assert due_at(friday, 4, "work_hour") == D(2026, 11, 30, 13, 0)
        assert deadlines.current_calendar() is deadlines.current_calendar()  # cached while unchanged


# --- `flask calendar` ------------------------------------------------------------------------------------------


def test_cli_due_prints_the_iso_time(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "due", "--start", "2026-11-27 17:30", "--limit", "4工作时"])
    assert result.exit_code == 0, result.output
    assert result.output == "2026-11-30T11:30:00\n"
    result = runner.invoke(
        args=["calendar", "due", "--start", "2026-11-27 17:30", "--limit", "2紧急工作时", "--explain"]
    )
    assert result.output.splitlines()[0] == "2026-11-27T19:30:00"


@pytest.mark.parametrize(
    "args, word",
    [
        (["--start", "next friday", "--limit", "4工作时"], "--start"),
        (["--start", "2026-13-01 10:00", "--limit", "4工作时"], "--start"),
        (["--start", "2026-11-27 17:30", "--limit", "soon"], "--limit"),
        (["--start", "2026-11-27 17:30", "--limit", "0工作时"], "--limit"),
    ],
)
def test_cli_due_refuses_bad_input_with_exit_code_2(app, args, word):
    result = app.test_cli_runner().invoke(args=["calendar", "due", *args])
    assert result.exit_code == 2
    assert word in result.output and "Traceback" not in result.output


def test_cli_import_and_show(app, tmp_path):
    good = tmp_path / "days.csv"
    good.write_text("# test\ndate,kind,name\n2026-10-01,休,国庆节\n2026-10-10,班,调休\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "import", str(good)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(args=["calendar", "show", "2026"]).output
    assert "2026-10-01  Thu  holiday  国庆节" in shown and "2026-10-10  Sat  workday  调休" in shown
    bad = tmp_path / "bad.csv"
    bad.write_text("2026-10-02,休,国庆节\n2026-02-30,休,x\n2026-10-03,maybe\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:" in result.output and f"{bad}:3:" in result.output
    with db.connection_context():
        assert CalendarDay.select().count() == 2  # nothing of the bad file
        assert AuditEntry.select().where(AuditEntry.action == "calendar.import").count() == 1


# --- CSV --------------------------------------------------------------------------------------------------------


def test_csv_reader_reports_errors_by_line(app):
    text = (
        "# a comment, with commas\n"
        "date,kind,name\n"
        "2026-10-01,holiday,国庆节\n"
        "\n"
        "2026/10/02,休\n"
        "2026-10-32,休,x\n"
        "2026-10-03,vacation,x\n"
        "2026-10-01,休,again\n"
        "lonely\n"
        '2026-10-04,休,"a ""quoted"", long\nname"\n'
        "2026-10-05,休,x\n"
    )
    with app.test_request_context():
        rows, errors = read_csv(text)
    assert [(r.line, r.day, r.kind) for r in rows] == [
        (3, date(2026, 10, 1), "holiday"),
        (5, date(2026, 10, 2), "holiday"),
        (10, date(2026, 10, 4), "holiday"),
        (12, date(2026, 10, 5), "holiday"),
    ]
    assert [line for line, _ in errors] == [6, 7, 8, 9]
    assert "2026-10-01" in errors[2][1] and "3" in errors[2][1]


def test_csv_files_in_utf8_with_bom_and_in_gb18030_are_read(app):
    text = "2026-10-01,休,国庆节\n"
    with app.test_request_context():
        assert decode(("\ufeff" + text).encode("utf-8")) == text
        assert decode(text.encode("gb18030")) == text
        with pytest.raises(CalendarError):
            decode(b"x" * (2 * 1024 * 1024))
        assert read_csv("# only a comment\n")[1][0][0] == 0


def test_the_shipped_2026_file_reads_cleanly(app):
    path = Path(__file__).resolve().parent.parent / "data/calendar/cn-2026.csv"
    assert path.read_text(encoding="utf-8").startswith("#")
    with app.test_request_context():
        rows, errors = read_csv(decode(path.read_bytes()))
    assert errors == [] and all(r.day.year == 2026 for r in rows)
    for row in rows:  # make-up days fall on weekends; every listed holiday replaces a weekday or a weekend day
        assert row.kind == "holiday" or row.day.weekday() >= 5


# --- pages ----------------------------------------------------------------------------------------------------

HTMX_DAYS = {"HX-Request": "true", "HX-Target": "calendar-days"}


def audit_actions(prefix="calendar"):
    with db.connection_context():
        return [
            a.action for a in AuditEntry.select().where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
        ]


@pytest.mark.parametrize(
    "role", ["intake", "shift_leader", "dispatcher", "collector", "handler", "dept_head", "leader"]
)
def test_non_admins_get_403_on_the_manage_page_and_its_actions(as_role, role):
    client = as_role(role)
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar/hours", data={"periods": "08:00-09:00", "weekdays": ["1"]}).status_code == 403
    assert client.post("/admin/calendar/days", data={"date": "2026-10-01", "kind": "holiday"}).status_code == 403
    assert client.post("/admin/calendar/days/1/delete").status_code == 403
    assert client.post("/admin/calendar/import").status_code == 403


@pytest.mark.parametrize(
    "role, allowed",
    [("dispatcher", True), ("leader", True), ("intake", True), ("collector", False), ("handler", False)],
)
def test_calendar_view_and_explainer_follow_calendar_view(as_role, role, allowed):
    client = as_role(role)
    expected = 200 if allowed else 403
    assert client.get("/calendar").status_code == expected
    assert client.get("/calendar/explain?limit=2工作时").status_code == expected


def test_menu_links(as_role):
    assert 'href="/admin/calendar"' in as_role("admin").get("/").get_data(as_text=True)
    dispatcher = as_role("dispatcher").get("/").get_data(as_text=True)
    assert 'href="/calendar"' in dispatcher and 'href="/admin/calendar"' not in dispatcher
    assert 'href="/calendar"' not in as_role("collector").get("/").get_data(as_text=True)


def test_admin_edits_working_hours_audited(as_role):
    admin = as_role("admin")
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert "08:00-12:00, 14:00-18:00" in page
    version = form_version(admin, "/admin/calendar")
    form = {"periods": "08:30-12:00，14:30-18:00", "weekdays": ["1", "2", "3", "4", "5", "6"], "version": version}
    response = admin.post("/admin/calendar/hours", data=form)
    assert response.status_code == 302
    assert "08:30-12:00, 14:30-18:00" in admin.get("/admin/calendar").get_data(as_text=True)
    with db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "calendar.hours")
        assert entry.before == {"periods": "08:00-12:00, 14:00-18:00", "weekdays": [1, 2, 3, 4, 5]}
        assert entry.after == {"periods": "08:30-12:00, 14:30-18:00", "weekdays": [1, 2, 3, 4, 5, 6]}
        assert due_at(D(2026, 11, 28, 11, 0), 2, "work_hour") == D(2026, 11, 28, 15, 30)  # Saturday now works
    # The old version is stale now: saving over the change is refused.
    admin.post("/lang", data={"lang": "en"})
    stale = admin.post("/admin/calendar/hours", data={**form, "periods": "07:00-11:00"})
    assert stale.status_code == 409 and "Nothing of yours was saved" in stale.get_data(as_text=True)
    assert audit_actions() == ["calendar.hours"]


@pytest.mark.parametrize(
    "periods, weekdays, fragment",
    [
        ("08:00-12:00, 11:00-13:00", ["1"], "overlap"),
        ("12:00-08:00", ["1"], "must start before it ends"),
        ("08:00-25:00", ["1"], "Cannot read the period"),
        ("eight to noon", ["1"], "Cannot read the period"),
        ("08:00-12:00", [], "Choose at least one working weekday"),
        ("08:00-12:00", ["9"], "Weekdays are numbered"),
    ],
)
def test_invalid_working_hours_are_refused_with_a_message(as_role, periods, weekdays, fragment):
    admin = as_role("admin")
    admin.post("/lang", data={"lang": "en"})
    response = admin.post("/admin/calendar/hours", data={"periods": periods, "weekdays": weekdays})
    assert response.status_code == 422
    assert fragment in response.get_data(as_text=True)
    assert audit_actions() == []


def test_special_days_added_changed_and_deleted_with_htmx_audited(as_role):
    admin = as_role("admin")
    response = admin.post("/admin/calendar/days", data={"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},
                          headers=HTMX_DAYS)  # fmt: skip
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "2026-10-01" in html and "国庆节" in html
    admin.post("/admin/calendar/days", data={"date": "2026-10-01", "kind": "workday", "name": "x"}, headers=HTMX_DAYS)
    with db.connection_context():
        day = CalendarDay.get(CalendarDay.date == date(2026, 10, 1))
        assert (day.kind, day.name) == ("workday", "x")
    response = admin.post(f"/admin/calendar/days/{day.id}/delete", headers=HTMX_DAYS)
    assert response.status_code == 200 and "2026-10-01" in response.get_data(as_text=True)
    assert audit_actions() == ["calendar.day.create", "calendar.day.update", "calendar.day.delete"]
    assert admin.post(f"/admin/calendar/days/{day.id}/delete", headers=HTMX_DAYS).status_code == 404


def test_a_bad_special_day_is_refused_with_a_message(as_role):
    admin = as_role("admin")
    response = admin.post("/admin/calendar/days", data={"date": "2026-02-30", "kind": "holiday"}, headers=HTMX_DAYS)
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    response = admin.post("/admin/calendar/days", data={"date": "2026-10-01", "kind": "party"})
    assert response.status_code == 422
    assert admin.get("/admin/calendar?year=abc").status_code == 400
    assert audit_actions() == []


def test_the_year_selector_returns_the_days_fragment(as_role):
    admin = as_role("admin")
    admin.post("/admin/calendar/days", data={"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    html = admin.get("/admin/calendar?year=2027", headers=HTMX_DAYS).get_data(as_text=True)
    assert "<html" not in html and "元旦" in html


def test_csv_import_on_the_page(as_role):
    admin = as_role("admin")
    bad = "2026-10-01,休,国庆节\n2026-10-02,maybe,x\n2026-99-01,休,x\n".encode()
    response = admin.post("/admin/calendar/import", data={"file": (io.BytesIO(bad), "bad.csv")},
                          content_type="multipart/form-data")  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "maybe" in html and "2026-99-01" in html
    with db.connection_context():
        assert CalendarDay.select().count() == 0
    good = "\ufeffdate,kind,name\n2026-10-01,休,国庆节\n2026-10-10,班,国庆节调休\n".encode()
    response = admin.post("/admin/calendar/import", data={"file": (io.BytesIO(good), "good.csv")},
                          content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    with db.connection_context():
        assert {d.date: d.kind for d in CalendarDay.select()} == {
            date(2026, 10, 1): "holiday",
            date(2026, 10, 10): "workday",
        }
        entry = AuditEntry.get(AuditEntry.action == "calendar.import")
        assert "good.csv" in entry.summary
    # Replace: a re-import of the year without 10-10 removes it.
    again = b"2026-10-01,holiday,National Day\n"
    admin.post("/admin/calendar/import", data={"file": (io.BytesIO(again), "fix.csv"), "replace": "y"},
               content_type="multipart/form-data")  # fmt: skip
    with db.connection_context():
        assert [(d.date, d.name) for d in CalendarDay.select()] == [(date(2026, 10, 1), "National Day")]
    assert admin.post("/admin/calendar/import", data={}, content_type="multipart/form-data").status_code == 422


def test_explain_box(as_role):
    dispatcher = as_role("dispatcher")
    headers = {"HX-Request": "true", "HX-Target": "explain-result"}
    response = dispatcher.get("/calendar/explain?start=2026-11-27T17:30&limit=4工作时", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "2026-11-30T11:30:00" in html and "11-28" in html
    response = dispatcher.get("/calendar/explain?start=2026-11-27T17:30&limit=soon", headers=headers)
    assert response.status_code == 422 and "soon" in response.get_data(as_text=True)
    response = dispatcher.get("/calendar/explain?start=tomorrow&limit=4工作时")
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert dispatcher.get("/calendar/explain").status_code == 200  # a bare visit: the empty form
    response = dispatcher.get("/calendar/explain?start=2026-11-27T17:30&limit=", headers=headers)
    assert response.status_code == 422  # a start without a limit says the limit is empty


def test_year_view_marks_holidays_and_make_up_days(as_role):
    with db.connection_context():
        set_day(date(2026, 10, 1), "holiday", "国庆节")
        set_day(date(2026, 10, 10), "workday", "调休")
    html = as_role("leader").get("/calendar?year=2026").get_data(as_text=True)
    # the marks are translatable (休/班 in Chinese; "off"/"work" until the catalogue has them)
    assert re.search(r'class="holiday" title="国庆节">1<span class="wt-mark">(休|off)</span>', html)
    assert re.search(r'class="workday" title="调休">10<span class="wt-mark">(班|work)</span>', html)
    assert html.count('class="wt-month"') == 12


def test_forms_need_the_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/calendar").get_data(as_text=True)
    day = {"date": "2026-10-01", "kind": "holiday"}
    assert client.post("/admin/calendar/days", data=day).status_code == 400
    assert client.post("/admin/calendar/hours", data={"periods": "08:00-09:00", "weekdays": ["1"]}).status_code == 400
    assert audit_actions() == []
    response = client.post("/admin/calendar/days", data={**day, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert audit_actions() == ["calendar.day.create"]
