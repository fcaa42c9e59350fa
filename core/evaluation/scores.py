"""Composite scores and grades (domain.md §5), with weights, count bands and grade bands an evaluator
can edit (stored as JSON in core.settings under `evaluation.scoring`). Every score comes with the
formula that produced it, spelled out with the figures."""

import copy
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import settings
from core.evaluation.indicators import INDICATORS
from core.parsing import finite_number

KEY = "evaluation.scoring"
# A component: the indicator, its weight (points out of 100), and how its value becomes 0..100:
# "rate" (value × 100), "inverse" (100 − value × 100) or "band" (a count placed in the level's band:
# the points of the highest threshold the count reaches). The defaults follow the direction of the
# standard's annex (domain.md §5): a "bad" rate (public reports: problems the collectors missed) scores
# inversely, and the filed and received counts of areas and departments give *fewer* problems more
# points; only the centre's posts, whose volume is their work, are rewarded for more.
AREA = [("public_report_rate", 10, "inverse"), ("filed", 20, "band"), ("closure_rate", 30, "rate"),
        ("on_time_closure_rate", 40, "rate")]  # fmt: skip
# A unit grid of the annex's first class: 0 filed → 100, < 3 → 90, < 5 → 75, < 7 → 60, < 9 → 40, else 0.
GRID_BAND = [[0, 100], [1, 90], [3, 75], [5, 60], [7, 40], [9, 0]]


def _scaled(band: list, factor: int) -> list:
    """A grid's band for an area of about `factor` grids (an editable default, not the annex's)."""
    return [[threshold * factor, points] for threshold, points in band]


DEFAULTS = {
    "grades": [["A", 90], ["B", 75], ["C", 60], ["D", 40]],  # below the last: E
    "levels": {
        "district": {"components": AREA, "band": _scaled(GRID_BAND, 200)},
        "street": {"components": AREA, "band": _scaled(GRID_BAND, 50)},
        "community": {"components": AREA, "band": _scaled(GRID_BAND, 10)},
        "grid": {"components": AREA, "band": GRID_BAND},
        "department": {
            "components": [
                ("received", 10, "band"),
                ("closure_rate", 30, "rate"),
                ("on_time_handling_rate", 30, "rate"),
                ("rework_rate", 30, "inverse"),
            ],
            # the annex: ≤ 50 cases → 10 of 10, ≤ 100 → 9, ≤ 200 → 7.5, ≤ 500 → 6, ≤ 1000 → 4, more → 0
            "band": [[0, 100], [51, 90], [101, 75], [201, 60], [501, 40], [1001, 0]],
        },  # fmt: skip
        "collector": {
            "components": [
                ("valid_report_rate", 40, "rate"),
                ("miss_rate", 20, "inverse"),
                ("on_time_verification_rate", 20, "rate"),
                ("on_time_check_rate", 20, "rate"),
            ],
            "band": [[1, 100]],
        },  # fmt: skip
        "operator": {"components": [("valid_report_rate", 100, "rate")], "band": [[1, 100]]},
        "shift-leader": {
            "components": [
                ("on_time_filing_rate", 25, "rate"),
                ("accurate_filing_rate", 40, "rate"),
                ("on_time_closing_rate", 35, "rate"),
            ],
            "band": [[1, 100]],
        },  # fmt: skip
        "dispatcher": {
            "components": [
                ("dispatched", 20, "band"),
                ("on_time_dispatch_rate", 40, "rate"),
                ("accurate_dispatch_rate", 40, "rate"),
            ],
            # the annex: ≥ 2001 dispatches → 100 … ≤ 100 → 0
            "band": [[0, 0], [101, 40], [501, 60], [1001, 80], [2001, 100]],
        },  # fmt: skip
    },
}
KINDS = {"rate": _l("rate × 100"), "inverse": _l("100 − rate × 100"), "band": _l("count band")}


def _normalise(config: dict) -> dict:
    out = copy.deepcopy(config)
    for level in out["levels"].values():
        level["components"] = [list(c) for c in level["components"]]
    return out


def config() -> dict:
    stored = settings.get(KEY)
    base = _normalise(DEFAULTS)
    if stored:
        try:
            saved = json.loads(stored)
            base["grades"] = saved.get("grades", base["grades"])
            for level, spec in saved.get("levels", {}).items():
                if level in base["levels"]:
                    base["levels"][level].update(spec)
        except (ValueError, AttributeError, TypeError):
            pass  # a damaged setting falls back to the defaults; the admin page shows and rewrites it
    return base


def save(new: dict):
    settings.put(KEY, json.dumps(new, ensure_ascii=False, sort_keys=True))


def validate(level: str, components: list, band: list, grades: list) -> list[str]:
    """Messages for an edited configuration; empty when it is usable."""
    errors = []
    if not components:
        errors.append(_("Give at least one component."))
    for code, weight, kind in components:
        if code not in INDICATORS:
            errors.append(_("Unknown indicator: %(code)s.", code=code))
        if kind not in KINDS:
            errors.append(_("Unknown way to score a component: %(kind)s.", kind=kind))
        if not finite_number(weight, min=0, max=100):  # NaN and 1e308 too: they would become the score
            errors.append(_("Weights must be numbers from 0 to 100."))
    if components and sum(c[1] for c in components if finite_number(c[1], min=0, max=100)) <= 0:
        errors.append(_("The weights must add up to more than 0."))
    thresholds = [b[0] for b in band]
    if (
        thresholds != sorted(thresholds)
        or not all(finite_number(t, min=0) for t in thresholds)
        or not all(finite_number(b[1], min=0, max=100) for b in band)
    ):
        errors.append(_("Bands go upwards in count, each with a score between 0 and 100."))
    limits = [g[1] for g in grades]
    if limits != sorted(limits, reverse=True) or not all(finite_number(x, min=0, max=100) for x in limits):
        errors.append(_("Grade limits go downwards, between 0 and 100."))
    return errors


def band_points(count: int, band: list) -> float:
    points = 0.0
    for threshold, value in band:
        if count >= threshold:
            points = float(value)
    return points


def grade(score: float | None, grades: list) -> str:
    if score is None:
        return "—"
    for letter, limit in grades:
        if score >= limit:
            return letter
    return "E"


def score(level: str, values: dict, deduction: float, cfg: dict) -> tuple[float | None, str, str]:
    """(score, grade, formula). Components whose rate has a zero denominator are left out and the
    remaining weights scaled up to 100; with none left there is no score."""
    spec = cfg["levels"][level]
    parts, text, used, rated = [], [], 0.0, False
    for code, weight, kind in spec["components"]:
        value = values.get(code)
        label = str(INDICATORS[code].label)
        if value is None or weight == 0:
            text.append(f"{weight}×{label}(—)")
            continue
        if kind == "band":
            points = band_points(int(value), spec["band"])
            text.append(f"{weight}%×{label}[{value}→{points:g}]")
        elif kind == "inverse":
            points = 100 - float(value) * 100
            text.append(f"{weight}%×(100−{label} {float(value) * 100:.2f})")
        else:
            points = float(value) * 100
            text.append(f"{weight}%×{label} {points:.2f}")
        parts.append(weight * points)
        used += weight
        rated = rated or kind != "band"
    if used == 0 or not rated:  # counts alone do not make a score: nothing was due
        return None, "—", " + ".join(text)
    total = sum(parts) / used
    formula = " + ".join(text)
    if used != sum(c[1] for c in spec["components"]):
        formula = f"({formula}) ÷ {used:g}%"
    result = round(max(total - deduction, 0.0), 2)
    if deduction:
        formula += f" − {deduction:g}"
    return result, grade(result, cfg["grades"]), f"{formula} = {result:.2f}"


def formula_text(level: str, cfg: dict) -> str:
    return describe(cfg["levels"][level]["components"])


def describe(components: list) -> str:
    """The score's formula in the reader's language, from its components (code, weight, kind)."""
    pieces = []
    for code, weight, kind in components:
        label = str(INDICATORS[code].label) if code in INDICATORS else code
        pieces.append(
            {
                "rate": f"{weight}% × {label}",
                "inverse": f"{weight}% × (100 − {label})",
                "band": f"{weight}% × " + _("%(indicator)s in bands", indicator=label),
            }.get(kind, f"{weight}% × {label}")
        )
    return " + ".join(pieces) + " − " + _("deductions")


def row_formula(table: dict, row: dict) -> str:
    """One row's formula with its figures, rendered now in the reader's language from what the table
    keeps (a snapshot's rows included); as written for a snapshot that predates that."""
    if "components" not in table or "band" not in table:
        return row.get("formula", "")
    spec = {"components": table["components"], "band": table["band"]}
    cfg = {"levels": {table["level"]: spec}, "grades": [["", 0]]}
    return score(table["level"], row["values"], row.get("deduction") or 0.0, cfg)[2]


def formula_of(table: dict) -> str:
    """A table's formula, rendered now (a snapshot keeps its components), or as it was written when
    the snapshot predates that."""
    components = table.get("components")
    return describe(components) if components else table.get("formula", "")
