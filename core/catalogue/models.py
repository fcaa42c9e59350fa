"""The catalogue of component and event types (部件/事件 分类) in its two editions and the filing standards
(立结案标准) attached to them. The pages to look them up, edit them and import them are in views.py; the CSV
importer in reading.py (the file) and importer.py (the rows); `flask catalogue` in cli.py."""

import unicodedata

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core.background import ImportJob, one_at_a_time
from core.db import BaseModel, JSONField
from core.org import Department
from core.timelimits import UNITS

KINDS = {"component": _l("Component"), "event": _l("Event")}
EDITIONS = {"2013": "GB/T 30428.2-2013", "2026": "GB/T 47678.5-2026"}
CODE_LENGTHS = {"2013": 4, "2026": 5}  # class (2 digits) + type (2 or 3 digits)
LONG_TEXT = 2000  # the longest free text accepted for a TextField (conditions, units)


class Category(BaseModel):
    """One component or event type of one edition of the catalogue, e.g. 2013 "0101 上水井盖"."""

    kind = CharField(max_length=10, choices=list(KINDS.items()))
    edition = CharField(max_length=4, choices=list(EDITIONS.items()))
    class_code = CharField(max_length=2)
    class_name = CharField(max_length=60)
    code = CharField(max_length=5)  # a string: "0101", "01001" keep their leading zeros
    name = CharField(max_length=100)
    default_department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    active = BooleanField(default=True)
    retired = BooleanField(default=False)  # a plugin's that no plugin registers now (sync_plugin_categories)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    class Meta:
        indexes = ((("edition", "kind", "code"), True),)

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    def __str__(self):
        return f"{self.code} {self.name}"


class FilingStandard(BaseModel):
    """One row of a filing standard: when a case of this category is filed, its time limit, when it is
    closed, and who handles it. Natural key: (category, filing_condition) — the situation a row is about.
    An import updates the row with the same key in place (work orders keep pointing at it) and retires
    (active=False) rows of the imported categories that the file no longer has, so re-importing the same
    file changes nothing."""

    category = ForeignKeyField(Category, backref="standards", on_delete="CASCADE")
    seq = IntegerField()  # position within the category, as in the file
    filing_condition = CharField(max_length=500)  # 立案条件
    limit_text = CharField(max_length=60)  # as published: "2紧急工作时"
    limit_value = DecimalField(max_digits=8, decimal_places=2)
    limit_unit = CharField(max_length=20)  # a key of core.timelimits.UNITS
    limit_note = CharField(max_length=60, default="")  # "种植季节", "制止"
    closing_condition = TextField(default="")  # 结案条件
    handling_unit = TextField(default="")  # 责任主体/处置单位
    supervising_unit = TextField(default="")  # 监管主体/主管部门
    source = CharField(max_length=255, default="")  # the file it was imported from
    active = BooleanField(default=True)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    class Meta:
        indexes = ((("category", "filing_condition"), True),)

    @property
    def limit_label(self) -> str:
        """The parsed limit: "2 urgent hours (...)", with its note."""
        text = f"{self.limit_value.normalize():f} {UNITS.get(self.limit_unit, self.limit_unit)}"
        return f"{text}; {self.limit_note}" if self.limit_note else text

    def __str__(self):
        return f"{self.filing_condition} ({self.limit_text})"


@one_at_a_time
class CatalogueImport(ImportJob):
    """One import started from the admin page, run in a background thread: its progress and outcome."""

    STATUSES = {**ImportJob.STATUSES, "writing": (_l("Comparing with the database"), "grey")}
    skip_rejected = BooleanField(default=False)
    counts = JSONField(null=True)  # {"component": {"created": n, ...}, "event": ..., "standard": ...}
    rejected = JSONField(null=True)  # [[line, reason], ...]


# --- what other modules call -------------------------------------------------------------------------


def standards_for(category) -> list[FilingStandard]:
    """The filing standards in use for a category (a Category or its id), in their order."""
    return list(
        FilingStandard.select()
        .where((FilingStandard.category == category) & (FilingStandard.active == True))  # noqa: E712
        .order_by(FilingStandard.seq, FilingStandard.id)
    )


def search(query, edition=None, limit=20, *, kind=None) -> list[Category]:
    """Active categories whose code starts with `query` or whose name contains it; code matches first.
    An empty query lists the first `limit` categories."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    found = Category.select().where(Category.active == True)  # noqa: E712
    if edition:
        found = found.where(Category.edition == edition)
    if kind:
        found = found.where(Category.kind == kind)
    order = [Category.edition, Category.kind, Category.code]
    if text:
        by_code = Category.code.startswith(text)
        found = found.where(by_code | Category.name.contains(text))
        order.insert(0, Case(None, [(by_code, 0)], 1))
    return list(found.order_by(*order).limit(limit))
