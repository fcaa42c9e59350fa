"""The categories plugins declare through register_categories, kept in step with the plugins installed:
the catalogue's upgrade step (`flask db upgrade`)."""

from core.catalogue.models import EDITIONS, Category, FilingStandard
from core.org import Department
from core.timelimits import parse_limit


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
