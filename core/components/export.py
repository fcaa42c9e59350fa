"""The component census out: the CSV the import reads back (`flask components export`, /components/export.csv)
and the Excel export kind "components" (core/exports/: in the request when small, in the background when
long). Rows are read in pages by id (`in_pages`).

A CSV is opened in Excel, which runs a cell beginning with =, +, -, @, a tab or a carriage return as a
formula (CSV injection). Such a cell is written with a leading apostrophe, as OWASP suggests: Excel shows
the text and runs nothing. `restore()` undoes it on import, so export → import keeps every value; a value
that itself begins with apostrophes before such a character gets one more, so that the mapping stays
one to one. `flask components export --raw` writes the values as they are."""

from flask_babel import gettext as _

from core import xlsx
from core.areas import Area
from core.catalogue.models import Category
from core.components.census import COLUMNS, STATUS_CHINESE, csv_bytes
from core.components.models import STATUSES, Component
from core.exports.kinds import Kind, by_ids, in_pages

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KIND = "components"

FIELDS = (
    Component.id,
    Component.code,
    Component.name,
    Category.code.alias("type_code"),
    Component.status,
    Component.supervising_department,
    Component.owning_department,
    Component.maintaining_department,
    Component.survey_date,
    Component.changed_on,
    Component.source,
    Component.longitude,
    Component.latitude,
    Area.code.alias("grid_code"),
    Component.address,
    Component.note,
)


def neutralise(value: str) -> str:
    """The cell as written to a CSV meant for Excel: a leading apostrophe before a formula's start."""
    if value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """The value `neutralise` was given: one apostrophe fewer before a formula's start."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _row(c, statuses: dict) -> list:
    return [
        c.code,
        c.name,
        c.type_code,
        statuses.get(c.status, c.status),
        c.supervising_department,
        c.owning_department,
        c.maintaining_department,
        c.survey_date.isoformat() if c.survey_date else "",
        c.changed_on.isoformat() if c.changed_on else "",
        c.source,
        f"{c.longitude:.7f}",
        f"{c.latitude:.7f}",
        c.grid_code,
        c.address,
        c.note,
    ]


def _select(ids):
    return (
        Component.select(*FIELDS).join_from(Component, Category).join_from(Component, Area).where(Component.id.in_(ids))
    )


def rows(query=None, statuses: dict = STATUS_CHINESE):
    """One row per component of `query` (components joined to their category and grid, in its order;
    default: all, by code), as the import reads them (the status as `statuses` words it), page by page."""
    if query is None:
        query = Component.select().join_from(Component, Category).join_from(Component, Area)
        query = query.order_by(Component.code)
    read = by_ids(_select)
    return in_pages(query.select(Component.id).tuples(), lambda ids: {c.id: _row(c, statuses) for c in read(ids)})


def header() -> list[str]:
    return list(COLUMNS.values())


def csv_file(query=None, raw: bool = False) -> bytes:
    """UTF-8 with a BOM (so that Excel in China opens it right); formula-like cells neutralised unless
    `raw`. The import reads either back to the same values."""
    found = rows(query)
    if not raw:
        found = ([neutralise(cell) for cell in row] for row in found)
    return csv_bytes(header(), found)


def sheets(user, params: dict) -> list[xlsx.Sheet]:
    """The Excel export: the statuses in the user's language, the file's conventions in a note."""
    from core.components.views import filtered

    query = filtered(params)
    words = {key: str(label) for key, label in STATUSES.items()}
    note = _("Coordinates: WGS84. Status in the file: %(words)s.", words=", ".join(STATUSES))
    return [xlsx.Sheet(_("Components"), header(), rows(query, words), [note], total=query.count())]


EXPORT = Kind(KIND, sheets, permission="components.view")
