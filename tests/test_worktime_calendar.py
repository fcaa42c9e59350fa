"""The working-time arithmetic on its own: `core.worktime.calendar` computes deadlines from plain data and
importing it loads neither Flask nor peewee (nor any other project module)."""

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from core.worktime.calendar import Calendar, CalendarError, parse_periods, parse_start

ROOT = Path(__file__).resolve().parent.parent
D = datetime
H = 3600
NATIONAL_DAY = Calendar(
    days={
        **{date(2026, 10, d): ("holiday", "国庆节") for d in range(1, 8)},
        date(2026, 10, 10): ("workday", "国庆节调休"),
    }
)


def test_importing_the_calendar_loads_no_flask_peewee_or_other_project_module():
    probe = (
        "import sys, core.worktime.calendar\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'peewee', 'werkzeug', 'core'})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    # The package's __init__ runs first; it holds only hooks and imports the hook marker (pluggy) alone.
    assert result.stdout.split() == [
        "core",
        "core.hookspecs",
        "core.worktime",
        "core.worktime.calendar",
        "core.worktime.calendar_text",
    ]


def test_working_hours_skip_nights_weekends_and_holidays():
    friday = D(2026, 11, 27, 17, 30)
    assert Calendar().due_at(friday, 4, "work_hour") == D(2026, 11, 30, 11, 30)
    assert NATIONAL_DAY.due_at(D(2026, 9, 30, 17), 2, "work_hour") == D(2026, 10, 8, 9, 0)
    assert Calendar().counted_seconds(friday, D(2026, 11, 30, 11, 30), "work_hour") == 4 * H


def test_working_days_keep_the_clock_time_and_a_make_up_day_counts():
    # Both rules happen to agree here: 6 + 8 + 8 working hours, then 2 on Saturday (working_hours, the
    # default), or the same clock time three working days later (calendar_days).
    assert NATIONAL_DAY.due_at(D(2026, 9, 30, 10), 3, "work_day") == D(2026, 10, 10, 10)
    assert NATIONAL_DAY.working_days(date(2026, 10, 1), date(2026, 10, 11)) == 3  # the 8th, 9th and Saturday 10th


def test_calendar_days_and_hours_run_continuously():
    assert NATIONAL_DAY.due_at(D(2026, 9, 30, 10), 3, "day") == D(2026, 10, 3, 10)
    assert NATIONAL_DAY.due_at(D(2026, 10, 1, 23), 2, "urgent_hour") == D(2026, 10, 2, 1)
    assert NATIONAL_DAY.counted_seconds(D(2026, 10, 2), D(2026, 10, 1), "hour") == -24 * H


def test_bad_data_is_refused_in_plain_words_without_flask():
    with pytest.raises(CalendarError, match="overlap"):
        parse_periods("08:00-12:00, 11:00-13:00")
    with pytest.raises(CalendarError, match="Unknown kind of day nap"):
        Calendar(days={date(2026, 1, 1): "nap"})
    with pytest.raises(CalendarError, match="without a time zone"):
        parse_start("2026-11-27T17:30+08:00")
    assert parse_periods("０８：００－１２：００；14:00至18:00") == [(8 * H, 12 * H), (14 * H, 18 * H)]
