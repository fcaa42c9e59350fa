"""Excel and CSV shapes of a level's table and of the bulletin (the same numbers as the pages); the export
kinds "evaluation" (a level's table for a period) and "evaluation_version" (every level of a published
version) of core/exports/, registered by core/evaluation/__init__.py's register_exports."""

from flask_babel import gettext as _

from core.catalogue.models import KINDS
from core.evaluation import periods, scores
from core.evaluation.indicators import INDICATORS, LEVELS, is_rate
from core.exports.kinds import Kind
from core.xlsx import Sheet, workbook_bytes


def cell(code: str, value):
    """Rates as percentages with two decimals, "—" for a zero denominator, counts as they are."""
    if value is None:
        return "—"
    if code in INDICATORS and is_rate(code):
        return round(value * 100, 2)
    return value


def table_rows(table: dict, public: bool = False) -> tuple[list[str], list[list]]:
    codes = table["indicators"]
    headers = [_("Rank"), _("Name"), _("Code") if public else _("Key")]
    headers += [str(INDICATORS[c].label) + (" %" if is_rate(c) else "") for c in codes]
    headers += [_("Deductions"), _("Score"), _("Grade")]
    if not public:
        headers.append(_("Formula"))
    rows = []
    for row in table["rows"]:
        line = [row["rank"] if row["rank"] is not None else "—", row["name"], row["key"]]
        line += [cell(c, row["values"].get(c)) for c in codes]
        line += [row["deduction"], row["score"] if row["score"] is not None else "—", row["grade"]]
        if not public:
            line.append(row["formula"])
        rows.append(line)
    return headers, rows


def table_sheet(period_key: str, table: dict, public: bool = False) -> Sheet:
    headers, rows = table_rows(table, public)
    return Sheet(
        f"{LEVELS[table['level']]} {period_key}",
        headers,
        rows,
        notes=[
            _("Period: %(period)s", period=periods.parse(period_key).label()),
            _("Score: %(formula)s", formula=scores.formula_of(table)),
        ],
    )


def table_workbook(period, table: dict) -> bytes:
    return workbook_bytes([table_sheet(period.key, table)])


def table_sheets(user, params: dict) -> list[Sheet]:
    """Kind "evaluation": params period (a key) and level."""
    from core.evaluation import periods, snapshots

    period = periods.parse(params["period"])
    return [table_sheet(period.key, snapshots.table(params["level"], period))]


def version_sheets(user, params: dict) -> list[Sheet]:
    """Kind "evaluation_version": params version (a SnapshotVersion id)."""
    from core.evaluation.models import SnapshotVersion

    row = SnapshotVersion.get_by_id(params["version"])
    return [table_sheet(row.data["period"], row.data["levels"][level]) for level in LEVELS]


EXPORTS = [
    Kind("evaluation", table_sheets, permission="evaluation.view"),
    Kind("evaluation_version", version_sheets, permission="evaluation.view"),
]


def bulletin_sheets(data: dict, levels) -> list[Sheet]:
    b = data["bulletin"]
    f = b["figures"]
    figures = Sheet(
        _("Bulletin %(period)s", period=data["period"]),
        [_("Figure"), _("Value")],
        [[str(INDICATORS[c].label) if c in INDICATORS else c, cell(c, f.get(c))] for c in BULLETIN_FIGURES],
        notes=[_("Period: %(period)s", period=f"{data['period']} ({periods.dates(data['start'], data['end'])})")],
    )
    sources = Sheet(_("Sources"), [_("Source"), _("Reports")], [[s["label"], s["count"]] for s in b["sources"]])
    categories = Sheet(
        _("Categories"),
        [_("Kind"), _("Code"), _("Category"), _("Filed")],
        [
            [str(KINDS.get(c.get("kind"), c.get("kind") or "")), c["code"], c["name"], c["count"]]
            for c in b["categories"]
        ],
    )
    hotspots = Sheet(_("Hotspots"), [_("Street"), _("Reports")], [[h["name"], h["count"]] for h in b["hot_streets"]])
    handling = b.get("kinds_handling")  # absent from a snapshot published before it was kept
    codes = ["due_to_close", "closed", "closed_on_time"] if handling else []
    kinds = Sheet(
        _("Components and events"),
        [_("Kind"), _("Filed"), *(str(INDICATORS[c].label) for c in codes)],
        [
            [label, b["kinds"][kind], *(handling[kind][c] for c in codes)]
            for kind, label in (("component", _("Components")), ("event", _("Events")))
        ],
    )
    sheets = [figures, sources, categories, hotspots, kinds]
    sheets += [table_sheet(data["period"], data["levels"][level], public=True) for level in levels]
    return sheets


BULLETIN_FIGURES = [
    "reported", "filed", "dispatched", "handled", "closed", "due_to_handle", "handled_on_time",
    "on_time_handling_rate", "due_to_dispatch", "dispatched_on_time", "on_time_dispatch_rate", "due_to_close",
    "closed_count", "closure_rate", "closed_on_time", "on_time_closure_rate", "rework_rate",
]  # fmt: skip
