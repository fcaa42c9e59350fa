"""Time limits as filing standards publish them ("2紧急工作时", "3工作日", "种植季节15工作日", ...):
parsed into a value, a unit, and whatever words stood around them. core.worktime turns them into due
times."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

# unit key → (label, what counts). Longer Chinese words first: "紧急工作时" before "工作时".
UNITS = {
    "urgent_hour": _l("urgent hours (continuous, nights and holidays included)"),
    "work_hour": _l("working hours"),
    "work_day": _l("working days"),
    "urgent_day": _l("urgent days (continuous)"),
    "day": _l("calendar days"),
    "hour": _l("hours"),
}
CONTINUOUS_SECONDS = {"urgent_hour": 3600, "hour": 3600, "urgent_day": 86400, "day": 86400}
WORDS = [
    ("紧急工作小时", "urgent_hour"),
    ("紧急工作时", "urgent_hour"),
    ("紧急工作日", "urgent_day"),
    ("工作小时", "work_hour"),
    ("工作时", "work_hour"),
    ("工作日", "work_day"),
    ("自然日", "day"),
    ("小时", "hour"),
    ("天", "day"),
    ("日", "day"),
]
# "3个工作日": the measure word 个 may stand between the number and the unit.
PATTERN = re.compile(
    r"^(?P<before>\D*?)\s*(?P<value>\d+(?:\.\d+)?)\s*个?\s*(?P<word>"
    + "|".join(w for w, _ in WORDS)
    + r")\s*(?P<after>.*)$"
)
# Far beyond any real handling limit, and what a DecimalField(max_digits=8, decimal_places=2) column holds.
MAX_VALUE = Decimal(9999)
STEP = Decimal("0.01")


@dataclass(frozen=True)
class TimeLimit:
    value: Decimal
    unit: str  # a key of UNITS
    note: str = ""  # words around the limit, e.g. "种植季节" (planting season) or "制止" (stop it)

    def __str__(self):
        return f"{self.value.normalize():f} {self.unit}" + (f" ({self.note})" if self.note else "")

    @property
    def season(self) -> str:
        return season_of(self.note)


# Seasons a limit may be counted in: its words name "…季节" (种植季节, 栽植季节, 补植季节, …). The planting
# season is the only one there is; config PLANTING_SEASONS gives its month-day ranges.
SEASONS = {"planting": _l("planting season")}


def season_of(note: str) -> str:
    """The season ("planting") a limit's words ask it to be counted in, or ""."""
    return "planting" if "季节" in (note or "") else ""


class LimitError(ValueError):
    """A time limit that cannot be understood; str() says why, in the user's language."""


def parse_limit(text: str) -> TimeLimit:
    cleaned = unicodedata.normalize("NFKC", text or "").strip()  # full-width digits and spaces
    if not cleaned:
        raise LimitError(_l("The time limit is empty."))
    match = PATTERN.match(cleaned)
    if match is None:
        raise LimitError(
            _l("Cannot read the time limit %(text)s: expected a number and a unit such as 4工作时.", text=text)
        )
    try:
        value = Decimal(match["value"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
        raise LimitError(_l("Cannot read the number in %(text)s.", text=text)) from None
    if value <= 0 or match["before"].rstrip().endswith(("-", "\u2212")):
        raise LimitError(_l("The time limit %(text)s is not positive.", text=text))
    if value > MAX_VALUE or value != value.quantize(STEP):
        raise LimitError(
            _l("The time limit %(text)s is out of range: at most 9999, with at most two decimals.", text=text)
        )
    if any(ch.isdigit() for ch in match["before"] + match["after"]):
        # "2天3小时" or "3工作日或5天": taking the first number alone would be a guess.
        raise LimitError(_l("The time limit %(text)s holds more than one number; write a single limit.", text=text))
    unit = dict(WORDS)[match["word"]]
    note = " ".join(part for part in (match["before"].strip(), match["after"].strip()) if part)
    return TimeLimit(value=value, unit=unit, note=note)
