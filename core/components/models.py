"""The component census (部件普查): one row per fixed public facility, its status history, and the record
of census imports. See core/components/__init__.py for the ID rule."""

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
)

from core import clock
from core.areas import Area
from core.background import ImportJob, one_at_a_time
from core.catalogue.models import Category
from core.db import BaseModel, JSONField
from core.org import Department, User

# The statuses of GB/T 30428.2 / 47678.5 component records, with their map colours.
STATUSES = {
    "intact": _l("Intact"),  # 完好
    "damaged": _l("Damaged"),  # 破损
    "missing": _l("Missing"),  # 丢失
    "abandoned": _l("Abandoned"),  # 废弃
    "removed": _l("Removed"),  # 移除
}
STATUS_COLOURS = {
    "intact": "#2e7d32",
    "damaged": "#f9a825",
    "missing": "#c62828",
    "abandoned": "#9e9e9e",
    "removed": "#9e9e9e",
}
STATUS_BADGES = {"intact": "green", "damaged": "yellow", "missing": "red", "abandoned": "grey", "removed": "grey"}


class Component(BaseModel):
    code = CharField(max_length=17, unique=True)  # 部件标识码: 16 or 17 digits, see the module docstring
    name = CharField(max_length=100)
    category = ForeignKeyField(Category, on_delete="RESTRICT", index=True)
    status = CharField(max_length=12, index=True)  # a key of STATUSES
    # The standard names three departments by name; they are often bodies outside the system (a utility
    # company owning manhole covers), so they are kept as text. The maintainer is also linked to a
    # Department of the system when its name or code matches one, for dispatch and statistics.
    supervising_department = CharField(max_length=100, default="")  # 主管部门
    owning_department = CharField(max_length=100, default="")  # 权属单位
    maintaining_department = CharField(max_length=100, default="")  # 养护单位
    maintainer = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    survey_date = DateField(null=True)  # 初始日期
    changed_on = DateField(null=True)  # 变更日期, as the census file gives it
    source = CharField(max_length=100, default="")  # 数据来源
    longitude = DoubleField()  # WGS84
    latitude = DoubleField()
    grid = ForeignKeyField(Area, on_delete="RESTRICT", index=True)
    address = CharField(max_length=200, default="")
    note = CharField(max_length=500, default="")
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "#9e9e9e")

    def __str__(self):
        return f"{self.name} {self.code}"


class ComponentStatusChange(BaseModel):
    """Append-only: every status a component had (the first row, from "", is its recording)."""

    component = ForeignKeyField(Component, backref="status_changes", on_delete="CASCADE")
    from_status = CharField(max_length=12, default="")
    to_status = CharField(max_length=12)
    at = DateTimeField(default=clock.now, index=True)
    by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    note = CharField(max_length=500, default="")


@one_at_a_time
class ComponentImport(ImportJob):
    """One census import started from the admin page, run in a background thread."""

    crs = CharField(max_length=8, default="wgs84")
    skip_bad = BooleanField(default=False)
    counts = JSONField(null=True)  # {"created": n, "updated": n, "status_changed": n, "unchanged": n}
    rejected = JSONField(null=True)  # [[line, reason], ...]
