"""Chinese number plates (GA 36): ordinary 7-character plates, 8-character new-energy plates, and the
special suffixes (trailer 挂, coach 学, police 警, consulate 领, Hong Kong / Macao 港 澳, embassy 使).
`normalise` accepts what people type (full-width characters, lower case, spaces, the middle dot)."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Letters on plates: the Latin alphabet without I and O (too easily read as 1 and 0).
LETTER = "A-HJ-NP-Z"
ALNUM = f"{LETTER}0-9"

PATTERNS = [
    ("new_energy_small", re.compile(f"^[{PROVINCES}][{LETTER}][DF][{ALNUM}][0-9]{{4}}$")),
    ("new_energy_large", re.compile(f"^[{PROVINCES}][{LETTER}][0-9]{{5}}[DF]$")),
    ("ordinary", re.compile(f"^[{PROVINCES}][{LETTER}][{ALNUM}]{{5}}$")),
    ("trailer", re.compile(f"^[{PROVINCES}][{LETTER}][{ALNUM}]{{4}}挂$")),
    ("coach", re.compile(f"^[{PROVINCES}][{LETTER}][{ALNUM}]{{4}}学$")),
    ("police", re.compile(f"^[{PROVINCES}][{LETTER}][{ALNUM}]{{4}}警$")),
    ("consulate", re.compile(f"^[{PROVINCES}][{LETTER}][0-9]{{4}}领$")),
    ("hk_macao", re.compile(f"^粤Z[{ALNUM}]{{4}}[港澳]$")),
    ("embassy", re.compile("^(使[0-9]{6}|[0-9]{6}使)$")),
]

KINDS = {
    "new_energy_small": _l("New-energy (small)"),
    "new_energy_large": _l("New-energy (large)"),
    "ordinary": _l("Ordinary"),
    "trailer": _l("Trailer"),
    "coach": _l("Driving-school"),
    "police": _l("Police"),
    "consulate": _l("Consulate"),
    "hk_macao": _l("Hong Kong / Macao"),
    "embassy": _l("Embassy"),
}


class PlateError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalise(text: str) -> str:
    """Full-width to half-width, upper case, without spaces, dots and dashes."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[\s·・.\-]", "", text)


def kind_of(plate: str) -> str | None:
    for kind, pattern in PATTERNS:
        if pattern.match(plate):
            return kind
    return None


def validate(text: str) -> tuple[str, str]:
    """(normalised plate, kind), or PlateError with a message saying what is wrong."""
    plate = normalise(text)
    if not plate:
        raise PlateError(_l("Enter the plate number, or tick “No plate”."))
    kind = kind_of(plate)
    if kind is not None:
        return plate, kind
    if plate[0] not in PROVINCES and not plate.startswith("使") and not plate[:1].isdigit():
        raise PlateError(_l("A plate starts with a province abbreviation, such as 湘 or 京."))
    if re.search("[IO]", plate):
        raise PlateError(_l("Plates never use the letters I and O: did you mean 1 or 0?"))
    raise PlateError(
        _l(
            "That is not a valid plate: 7 characters (湘F12345), 8 for new-energy vehicles "
            "(湘FD12345, 湘F12345D), or a special plate ending in 挂, 学, 警 or 领."
        )
    )
