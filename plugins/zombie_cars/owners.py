"""A vehicle's owner: name, phone and resident ID number (居民身份证号码), checked on the way in and masked
on the way out for everyone without `zombie_cars.owner` (张*, 138****1234, 4306**********1234). Lists,
the map layer and its JSON never carry the owner at all; the vehicle page and the export carry what
`shown(user, vehicle)` gives.

The ID number is checked by its check digit (GB 11643-1999): 17 digits weighted 2^(18-i) mod 11, the
sum mod 11 picks the check character from "10X98765432"; digits 7-14 are the date of birth."""

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from core.api import clock

PERMISSION = "zombie_cars.owner"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


class OwnerError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def check_digit(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate_id_number(text: str) -> str:
    """The normalised 18-character number (upper-case X), or OwnerError saying what is wrong."""
    number = re.sub(r"\s+", "", _clean(text)).upper()
    if not number:
        return ""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise OwnerError(_l("An ID number has 18 characters: 17 digits and a last digit or X."))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1880 or born > clock.now().date():
        raise OwnerError(_l("Digits 7 to 14 of an ID number are a date of birth; these are not."))
    if check_digit(number[:17]) != number[17]:
        raise OwnerError(_l("The ID number's last character does not match: check it for a typing error."))
    return number


def validate_phone(text: str) -> str:
    """A mobile number (11 digits) or a landline with its area code; spaces, dashes and +86 are dropped."""
    phone = re.sub(r"[\s\-()（）]", "", _clean(text))
    phone = phone.removeprefix("+86").removeprefix("0086") if len(phone) > 11 else phone
    if not phone:
        return ""
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise OwnerError(_l("Give a mobile number of 11 digits or a landline with its area code."))
    return phone


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    keep = 3 if len(phone) > 7 else 1
    return phone[:keep] + "*" * max(len(phone) - keep - 4, 1) + phone[-4:]


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def may_see(user) -> bool:
    return bool(user.can(PERMISSION))


def shown(user, vehicle, full: bool | None = None) -> dict:
    """The owner as `user` may read it: in full with the permission, masked without."""
    full = may_see(user) if full is None else full
    name, phone, number = vehicle.owner_name, vehicle.owner_phone, vehicle.owner_id_number
    if not full:
        name, phone, number = mask_name(name), mask_phone(phone), mask_id_number(number)
    return {"name": name, "phone": phone, "id_number": number, "full": full}


def masked(vehicle) -> dict:
    """For the audit log: who may read the log is not who may read owners."""
    return {
        "owner_name": mask_name(vehicle.owner_name),
        "owner_phone": mask_phone(vehicle.owner_phone),
        "owner_id_number": mask_id_number(vehicle.owner_id_number),
    }
