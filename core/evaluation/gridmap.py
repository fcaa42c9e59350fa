"""The evaluation on the grid map and the grid page: the "score" measure (the map_measures hook) and the
grid page's "Recent evaluation" section (the grid_sections hook). Both read the latest published
monthly snapshot only — the figures as published, frozen — and both need `evaluation.view`."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.map_layers import GREY, Band, Measure

# Grade letter → colour on the map (A best, E worst).
GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#ef6c00", "E": "#c62828"}
# The few figures the grid page shows beside the score (every one is in the grid level's table).
KEY_FIGURES = [
    "reported",
    "filed",
    "closure_rate",
    "on_time_closure_rate",
    "on_time_handling_rate",
    "public_report_rate",
]


def can_see(user) -> bool:
    return user.can("evaluation.view")


def latest():
    """The latest published monthly version, or None."""
    from core.evaluation.snapshots import latest_published

    return latest_published("month")


def _grid_table(version) -> dict:
    return (version.data.get("levels") or {}).get("grid") or {"rows": [], "indicators": []}


def score_values(user) -> dict[int, float]:
    """{unit grid id: published score} of the latest published monthly version (grids without a
    score are left out: no data, grey)."""
    from core.areas import Area

    version = latest()
    if version is None:
        return {}
    scores = {r["key"]: r["score"] for r in _grid_table(version)["rows"] if r.get("score") is not None}
    if not scores:
        return {}
    ids = Area.select(Area.id, Area.code).where((Area.level == "grid") & Area.code.in_(list(scores)))
    return {area_id: scores[code] for area_id, code in ids.tuples()}


def grade_bands(values) -> list[Band]:
    """The grade bands of the published version's scoring (the current scoring when none is
    published), lowest first: E from 0, then D, C, B, A from their lower limits."""
    from core.evaluation import scores

    version = latest()
    grades = (version.data.get("scoring") or {}).get("grades") if version is not None else None
    grades = sorted(grades or scores.config()["grades"], key=lambda g: g[1])
    bands = [Band(0, GRADE_COLOURS["E"], f"E < {grades[0][1]:g}" if grades else "E")]
    for index, (letter, low) in enumerate(grades):
        top = grades[index + 1][1] if index + 1 < len(grades) else None
        text = f"{letter} ≥ {low:g}" if top is None else f"{letter} {low:g}–{top:g}"
        bands.append(Band(low, GRADE_COLOURS.get(letter, GREY), text))
    return bands


SCORE = Measure("score", _l("Evaluation score (last published month)"), score_values, grade_bands, can_see)


def grid_section(grid, user):
    """The grid's row of the latest published monthly version, or None for users without
    evaluation.view (the section is left out)."""
    from core.evaluation.indicators import INDICATORS, is_rate

    if not can_see(user):
        return None
    version = latest()
    if version is None:
        return {"version": None}
    table = _grid_table(version)
    rows = table["rows"]
    row = next((r for r in rows if r["key"] == grid.code), None)
    period = version.data.get("period") or version.snapshot.period
    return {
        "version": version,
        "period": period,
        "row": row,
        "ranked": sum(1 for r in rows if r.get("rank") is not None),
        "figures": [
            (code, INDICATORS[code].label, row["values"][code], is_rate(code))
            for code in KEY_FIGURES
            if row is not None and code in row["values"]
        ],
        "url": url_for("evaluation.index", period=period, level="grid"),
        "version_url": url_for("evaluation.version", version_id=version.id),
    }
