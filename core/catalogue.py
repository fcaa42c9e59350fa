"""The catalogue of component and event types (部件/事件 分类) in its two editions, the filing standards
(立结案标准) attached to them, and their hooks. The pages to look them up, edit them and import them are in
core/catalogue_pages.py; the CSV importer and `flask catalogue` in core/catalogue_import.py."""

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
from core.hookspecs import hookimpl
from core.org import Department
from core.plugins import MenuItem, UpgradeStep
from core.timelimits import UNITS, parse_limit

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


IMPORT_STATUSES = {
    "running": (_l("Checking the rows"), "grey"),
    "writing": (_l("Comparing with the database"), "grey"),
    "done": (_l("Imported"), "green"),
    "checked": (_l("Dry run finished: nothing was written"), "green"),
    "rejected": (_l("Rows were rejected: nothing was written"), "red"),
    "failed": (_l("Failed: nothing was written"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the import"), "red"),
}


@one_at_a_time
class CatalogueImport(ImportJob):
    """One import started from the admin page, run in a background thread: its progress and outcome."""

    STATUSES = IMPORT_STATUSES
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


# --- hooks -------------------------------------------------------------------------------------------


@hookimpl
def register_blueprints():
    from core.catalogue_pages import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "catalogue.view",
            "label": _l("See the categories and filing standards"),
            "roles": ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"],
        },
        {
            "name": "catalogue.manage",
            "label": _l("Edit and import categories and filing standards"),
            "roles": ["admin"],
        },
    ]


@hookimpl
def register_imports():
    from core.catalogue_pages import IMPORTS

    return [IMPORTS]


@hookimpl
def upgrade_steps():
    from core.plugins import host

    return [UpgradeStep("catalogue.plugin_categories", lambda: sync_plugin_categories(host()))]


@hookimpl
def register_commands(cli):
    from core.catalogue_import import catalogue_cli

    cli.add_command(catalogue_cli)


@hookimpl
def menu_items(user):
    if user.can("catalogue.view"):
        return [MenuItem(_l("Categories and standards"), "catalogue.categories", order=880, group="admin")]
    return []


def sync_plugin_categories(host):
    """Create or update the categories plugins declare through register_categories, in every
    edition, with their filing standards. Names and standards follow the plugin; the plugin's default
    department is used only where a category has none, so an administrator's choice stands. Standards the plugin no
    longer lists are retired, as a catalogue re-import retires them; so are categories no plugin registers
    now (_retire_unregistered). Run by `flask db upgrade`."""

    departments = {d.code: d for d in Department.select()}
    for plugin, spec in host.items("register_categories"):
        for edition in EDITIONS:
            category, created = Category.get_or_create(
                edition=edition,
                kind=spec["kind"],
                code=spec["code"],
                defaults={
                    "class_code": spec["class_code"],
                    "class_name": str(spec["class_name"]),
                    "name": str(spec["name"]),
                    "default_department": departments.get(spec.get("department")),
                },
            )
            if not created:
                category.class_code, category.class_name = spec["class_code"], str(spec["class_name"])
                category.name = str(spec["name"])
                if category.default_department_id is None:
                    category.default_department = departments.get(spec.get("department"))
                category.save()
            kept = []
            for seq, row in enumerate(spec.get("standards", []), start=1):
                limit = parse_limit(row["limit"])
                values = {
                    "seq": seq,
                    "limit_text": row["limit"],
                    "limit_value": limit.value,
                    "limit_unit": limit.unit,
                    "limit_note": limit.note,
                    "closing_condition": str(row.get("closing_condition", "")),
                    "handling_unit": str(row.get("handling_unit", "")),
                    "source": f"plugin {plugin}",
                    "active": True,
                }
                standard, made = FilingStandard.get_or_create(
                    category=category, filing_condition=str(row["filing_condition"]), defaults=values
                )
                if not made:
                    FilingStandard.update(values).where(FilingStandard.id == standard.id).execute()
                kept.append(standard.id)
            FilingStandard.update(active=False).where(
                (FilingStandard.category == category) & FilingStandard.id.not_in(kept or [0])
            ).execute()
    _retire_unregistered(host)


def _retire_unregistered(host):
    """A plugin's category that no plugin registers now is retired: out of use, so no picker offers it,
    and kept for the cases filed under it. One registered again is back in use. (A category is a
    plugin's when a plugin wrote its filing standards.) An administrator's "in use" is not touched
    otherwise."""
    registered = {(spec["kind"], spec["code"]) for _, spec in host.items("register_categories")}
    plugins_own = FilingStandard.select(FilingStandard.category).where(FilingStandard.source.startswith("plugin "))
    for category in Category.select().where(Category.id.in_(plugins_own)):
        gone = (category.kind, category.code) not in registered
        if gone != category.retired:
            Category.update(retired=gone, active=not gone, version=Category.version + 1).where(
                Category.id == category.id
            ).execute()
