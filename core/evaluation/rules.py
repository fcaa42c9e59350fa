"""The counting rules a bureau chooses (config key EVALUATION, overrides of `Rules`), kept with every
snapshot so that a published figure says which rules made it. docs/evaluation.md explains each with an
example."""

from dataclasses import asdict, dataclass, fields

from flask import current_app
from flask_babel import lazy_gettext as _l

# Whole-case 按期结案 (cities, districts, streets, communities, grids; a department is always judged on
# its own handling): "every_stage" — closed, and no stage of the case (verification, filing, dispatch,
# handling, check, closing) ended after its deadline; "handling_deadline" — closed by the deadline of
# the department's handling (the centre's check and closing must fit inside it too).
CASE_ON_TIME = ("every_stage", "handling_deadline")
# What the public page prints under the figures, so that a reader knows how 按期结案 was counted.
CASE_ON_TIME_TEXT = {
    "every_stage": _l(
        "On-time closure: the case was closed, and every stage of it (verification, filing, dispatch, "
        "handling, re-inspection, closing) ended within its own time limit. A department is judged on its "
        "handling alone."
    ),
    "handling_deadline": _l(
        "On-time closure: the case was closed by the deadline of its handling. A department is judged on "
        "its handling alone."
    ),
}


@dataclass(frozen=True)
class Rules:
    case_on_time: str = "every_stage"
    # A case closed in a period ahead of a deadline in a later one is due and closed in the period it
    # closed in (False: in its deadline's period, as any other).
    count_early_closures: bool = True
    # A case overdue before a period and not closed when it begins is due to close in it too (上期应结未结),
    # period after period until it closes (False: only in the period of its deadline).
    carry_over_overdue: bool = True


def rules() -> Rules:
    overrides = dict(current_app.config.get("EVALUATION") or {})
    unknown = sorted(set(overrides) - {f.name for f in fields(Rules)})
    if unknown:
        raise ValueError(f"EVALUATION: unknown rule(s) {', '.join(unknown)}")
    chosen = Rules(**overrides)
    if chosen.case_on_time not in CASE_ON_TIME:
        raise ValueError(f"EVALUATION: case_on_time must be one of {', '.join(CASE_ON_TIME)}")
    return chosen


def as_dict() -> dict:
    return asdict(rules())
