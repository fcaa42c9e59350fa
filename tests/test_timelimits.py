"""Time limits as filing standards publish them: every form in the Yuncheng file is understood, and
anything else is refused with the text it could not read, never guessed."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from core.timelimits import UNITS, LimitError, TimeLimit, parse_limit

YUNCHENG = Path(__file__).resolve().parent.parent / "data/catalogue/filing-standards-yuncheng.csv"

# Every distinct limit of the Yuncheng file, with what it means.
YUNCHENG_LIMITS = {
    "1工作日": ("1", "work_day", ""),
    "2工作日": ("2", "work_day", ""),
    "3工作日": ("3", "work_day", ""),
    "4工作日": ("4", "work_day", ""),
    "5工作日": ("5", "work_day", ""),
    "7工作日": ("7", "work_day", ""),
    "10工作日": ("10", "work_day", ""),
    "种植季节15工作日": ("15", "work_day", "种植季节"),
    "2工作时": ("2", "work_hour", ""),
    "4工作时": ("4", "work_hour", ""),
    "1紧急工作时": ("1", "urgent_hour", ""),
    "2紧急工作时": ("2", "urgent_hour", ""),
    "4紧急工作时": ("4", "urgent_hour", ""),
    "1紧急工作时制止": ("1", "urgent_hour", "制止"),
    "1紧急工作日": ("1", "urgent_day", ""),
    "2紧急工作日": ("2", "urgent_day", ""),
    "2小时": ("2", "hour", ""),
    "4小时": ("4", "hour", ""),
    "1天": ("1", "day", ""),
    "2天": ("2", "day", ""),
    "3天": ("3", "day", ""),
    "5天": ("5", "day", ""),
    "15天": ("15", "day", ""),
}


@pytest.mark.parametrize("text", sorted(YUNCHENG_LIMITS))
def test_every_distinct_yuncheng_limit_is_understood(text):
    value, unit, note = YUNCHENG_LIMITS[text]
    assert parse_limit(text) == TimeLimit(Decimal(value), unit, note)


def test_the_table_above_is_every_limit_of_the_file():
    with YUNCHENG.open(encoding="utf-8", newline="") as stream:
        published = {row[6] for row in list(csv.reader(stream))[1:]}
    assert published == set(YUNCHENG_LIMITS)


@pytest.mark.parametrize(
    "text, value, unit, note",
    [
        ("３工作日", "3", "work_day", ""),  # full-width digits
        ("１２紧急工作时", "12", "urgent_hour", ""),
        ("　2 天　", "2", "day", ""),  # full-width and ASCII spaces
        ("1.5小时", "1.5", "hour", ""),
        ("0.5天", "0.5", "day", ""),
        ("１．５工作日", "1.5", "work_day", ""),  # full-width decimal point
        ("1.50天", "1.5", "day", ""),
        ("3个工作日", "3", "work_day", ""),
        ("24小时内", "24", "hour", "内"),
        ("2紧急工作小时", "2", "urgent_hour", ""),
        ("8工作小时", "8", "work_hour", ""),
        ("10自然日", "10", "day", ""),
        ("9999天", "9999", "day", ""),
    ],
)
def test_other_written_forms(text, value, unit, note):
    assert parse_limit(text) == TimeLimit(Decimal(value), unit, note)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "尽快",  # "as soon as possible": no number
        "0工作日",
        "0.00天",
        "-1天",
        "两天",  # Chinese numerals are not read
        "三个工作日",
        "工作日",
        "3",  # no unit
        "3周",  # unknown unit
        "2天3小时",  # two numbers: taking either would be a guess
        "3工作日或5天",
        "2-3工作日",
        "0.001小时",
        "10000天",
    ],
)
def test_what_cannot_be_read_is_refused(text):
    with pytest.raises(LimitError) as caught:
        parse_limit(text)
    if text and text.strip():
        assert text in str(caught.value)  # the message names what it could not read


def test_every_unit_has_a_label():
    assert {unit for _value, unit, _note in YUNCHENG_LIMITS.values()} <= set(UNITS)
    assert str(parse_limit("种植季节15工作日")) == "15 work_day (种植季节)"
