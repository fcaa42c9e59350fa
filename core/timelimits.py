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
PATTERN = re.compile(
    r"^(?P<before>\D*?)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<word>" + "|".join(w for w, _ in WORDS) + r")\s*(?P<after>.*)$"
)


@dataclass(frozen=True)
class TimeLimit:
    value: Decimal
    unit: str  # a key of UNITS
    note: str = ""  # words around the limit, e.g. "种植季节" (planting season) or "制止" (stop it)

    def __str__(self):
        return f"{self.value.normalize():f} {self.unit}" + (f" ({self.note})" if self.note else "")


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
    if value <= 0:
        raise LimitError(_l("The time limit %(text)s is not positive.", text=text))
    unit = dict(WORDS)[match["word"]]
    note = " ".join(part for part in (match["before"].strip(), match["after"].strip()) if part)
    return TimeLimit(value=value, unit=unit, note=note)
