"""The working-time calendar's table: the special days (migration 0003). The working periods and weekdays
are settings (core.worktime.deadlines)."""

from flask_babel import lazy_gettext as _l
from peewee import CharField, DateField

from core.db import BaseModel

KINDS = {"holiday": _l("Public holiday"), "workday": _l("Make-up working day")}  # core.worktime.calendar.DAY_KINDS


class CalendarDay(BaseModel):
    """A day that is not what its weekday says: a public holiday or a make-up working day."""

    date = DateField(unique=True)
    kind = CharField(max_length=10)  # "holiday" | "workday"
    name = CharField(max_length=60, default="")
