"""The tables of grid responsibility: who is answerable for which unit grid on behalf of which
department (`Responsibility`), and the collectors' patrol areas (`GridAssignment`, which also scope the
cases a collector sees: core.workorders.scope). The rules are in core/responsibility/people.py."""

from peewee import CharField, DateTimeField, ForeignKeyField

from core import clock
from core.areas import Area
from core.db import BaseModel
from core.org import Department, User

DEFAULT_ROLE = "责任人"


class Responsibility(BaseModel):
    """One person answerable for one unit grid on behalf of one department."""

    area = ForeignKeyField(Area, backref="responsibilities", on_delete="CASCADE")
    department = ForeignKeyField(Department, on_delete="CASCADE")
    user = ForeignKeyField(User, backref="responsibilities", on_delete="CASCADE", index=True)
    role = CharField(max_length=40, default=DEFAULT_ROLE)
    since = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("area", "department", "user"), True),)


class GridAssignment(BaseModel):
    """A collector's responsibility area: a unit grid, or a community/street/district meaning every
    grid under it."""

    user = ForeignKeyField(User, backref="grid_assignments", on_delete="CASCADE")
    area = ForeignKeyField(Area, on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "area"), True),)
