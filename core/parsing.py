"""Reading what a browser sends: ids, whole numbers, decimals, dates and JSON, each refused with a message
(`ParseError`) instead of failing later with a TypeError, an OverflowError or a RecursionError, and the C0
control characters taken out of every text a request carries.

- Numbers are ASCII only: `str.isdigit()` is true for "²" and `int()` reads "１２" and "1_0", so neither is
  used on input. A whole number or id is at most what a database integer column holds.
- A date-time with a time zone ("2027-01-15T00:00:00+08:00") is converted to the configured TIMEZONE's
  naive wall-clock time, which is how every time is stored (core/clock.py); one without is taken as local.
- JSON refuses NaN, Infinity and numbers too large for a float, nesting deeper than `max_depth` (checked
  before parsing, so no RecursionError) and texts longer than `max_bytes`.
- Control characters: `Request` (the application's request class) removes C0 controls other than tab,
  line feed and carriage return from every query-string and form value and every upload's file name,
  before any view or form sees them, so no view or plugin can forget. Tab and the line breaks stay
  because a textarea needs them and a request does not say which field is a textarea. PostgreSQL refuses
  NUL in text outright and openpyxl refuses the others in a cell; `escape_controls` is what the exports use
  for text stored before this or arriving another way. A URL path segment holding one is a 404.
"""

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import Request as FlaskRequest
from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

DB_INT_MAX = 2**63 - 1  # the largest integer a database column holds

_INT = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")  # no exponent: typed by people
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # C0 without tab, LF, CR: what openpyxl refuses too
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class ParseError(ValueError):
    """A value that cannot be read; `message` says what to write instead. A ValueError, so that
    `request.args.get(name, default, type=parse_int)` falls back to its default."""

    def __init__(self, message):
        super().__init__(message)  # a lazy string: translated when shown, so usable outside a request
        self.message = message

    def __str__(self):
        return str(self.message)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_int(text, *, min: int = -DB_INT_MAX, max: int = DB_INT_MAX) -> int:
    """A whole number of ASCII digits (an optional minus) from `min` to `max`."""
    raw = _text(text)
    if not _INT.fullmatch(raw):
        raise ParseError(_l("Give a whole number (digits 0–9 only)."))
    value = int(raw)
    if not min <= value <= max:
        raise ParseError(_l("Give a whole number from %(min)d to %(max)d.", min=min, max=max))
    return value


def parse_id(text) -> int | None:
    """A row id, or None when the value cannot be one (blank, not ASCII digits, 0 or less, larger than any
    database integer): for a lookup that is simply "no such row"."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 0 < text <= DB_INT_MAX else None
    try:
        return parse_int(text, min=1)
    except ParseError:
        return None


def parse_ids(values) -> list[int]:
    """The row ids among `values` (a form's getlist), the others left out."""
    return [number for number in map(parse_id, values) if number is not None]


def parse_decimal(text, *, min=None, max=None) -> Decimal:
    """A decimal number of ASCII digits ("12.5", "-3", ".5"; at most 20 digits each side of the point, no
    exponent) within [min, max]."""
    raw = _text(text)
    if not _DECIMAL.fullmatch(raw):
        raise ParseError(_l("Give a number (digits 0–9, a point for decimals)."))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ParseError(_l("Give a number (digits 0–9, a point for decimals).")) from None
    _check_range(value, min, max)
    return value


def parse_float(text, *, min=None, max=None) -> float:
    """As parse_decimal, as a float (never NaN or infinite)."""
    value = float(parse_decimal(text, min=min, max=max))
    if not math.isfinite(value):
        raise ParseError(_l("The number is too large."))
    return value


def _check_range(value, low, high):
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise ParseError(_l("Give a number from %(min)s to %(max)s.", min=low, max=high))
        if low is not None:
            raise ParseError(_l("Give a number of at least %(min)s.", min=low))
        raise ParseError(_l("Give a number of at most %(max)s.", max=high))


def finite_number(value, *, min=None, max=None) -> bool:
    """Whether a value read from JSON is a real number (not a boolean) within [min, max]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return (min is None or value >= min) and (max is None or value <= max)


def parse_date(text) -> date:
    """A day written 2026-11-27."""
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    raw = _text(text)
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ParseError(_l("Write the date as 2026-11-27."))


def parse_datetime(text) -> datetime:
    """A moment written 2026-11-27, 2026-11-27 17:30 or 2026-11-27T17:30:00 (with or without a time zone),
    as naive wall-clock time in the configured TIMEZONE, to the second."""
    from core import clock

    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        value = datetime(text.year, text.month, text.day)
    else:
        raw = _text(text)
        if not _DATETIME.fullmatch(raw):
            raise ParseError(_l("Write the time as 2026-11-27 17:30."))
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ParseError(_l("Write the time as 2026-11-27 17:30.")) from None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(clock.zone()).replace(tzinfo=None)
        except (OverflowError, ValueError):  # 0001-01-01T00:00+08:00 is before the first local day
            raise ParseError(_l("Write the time as 2026-11-27 17:30.")) from None
    return value.replace(microsecond=0)


def _no_constant(name):
    raise ParseError(_l("Numbers must be finite: %(value)s is not allowed.", value=name))


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(_l("The number %(value)s is too large.", value=text[:40]))
    return value


def parse_json(text, *, max_depth: int = 20, max_bytes: int = 100_000):
    """A JSON document, refused with a message when it is not JSON, is longer than `max_bytes`, nests
    deeper than `max_depth` or holds NaN, Infinity or a number beyond a float."""
    import json

    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text or "")
    if len(raw.encode("utf-8")) > max_bytes:
        raise ParseError(_l("The text is too long (at most %(n)d bytes).", n=max_bytes))
    depth = 0
    for token in _JSON_TOKENS.finditer(raw):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > max_depth:
                raise ParseError(_l("The JSON nests too deeply (at most %(n)d levels).", n=max_depth))
        elif mark in "]}":
            depth -= 1
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except ParseError:
        raise
    except (ValueError, RecursionError) as error:
        raise ParseError(_l("This is not valid JSON: %(error)s", error=str(error)[:200])) from None


# --- control characters --------------------------------------------------------------------------------


def strip_controls(text: str) -> str:
    """`text` without C0 control characters other than tab, line feed and carriage return."""
    return CONTROLS.sub("", text)


def escape_controls(text: str) -> str:
    """Each C0 control (but tab, LF, CR) shown as its Unicode control picture (NUL → "␀"): what exports write,
    since a spreadsheet cell cannot hold one."""
    return CONTROLS.sub(lambda match: chr(0x2400 + ord(match.group())), text)


def _clean(value):
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, FileStorage) and value.filename:
        value.filename = strip_controls(value.filename)
    return value


class CleanMultiDict(ImmutableMultiDict):
    """The request's query-string, form and files dictionaries, with controls taken out of every text."""

    def __init__(self, mapping=None):
        super().__init__(mapping)
        for key, values in list(dict.items(self)):
            dict.__setitem__(self, key, [_clean(v) for v in values])


def _clean_json(value):
    """strip_controls on every string of a parsed JSON document, iteratively (a deep document is no
    RecursionError)."""
    if not isinstance(value, (dict, list)):
        return _clean(value)
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in list(items):
            if isinstance(item, (dict, list)):
                stack.append(item)
            elif isinstance(item, str):
                node[key] = strip_controls(item)
        if isinstance(node, dict) and any(isinstance(k, str) and CONTROLS.search(k) for k in node):
            for key in [k for k in node if CONTROLS.search(k)]:
                node[strip_controls(key)] = node.pop(key)
    return value


class Request(FlaskRequest):
    parameter_storage_class = CleanMultiDict

    def get_json(self, force=False, silent=False, cache=True):
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as error:
            return None if silent else self.on_json_loading_failed(ValueError(str(error)))
        return _clean_json(value)


def _json_as_form(document) -> CleanMultiDict:
    """A JSON body as a form's values: the top-level names of an object with text or numbers (or lists of
    them); anything else is no form value and is left out."""
    pairs = []
    if isinstance(document, dict):
        for key, value in document.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, bool):
                    pairs += [(key, "y")] if item else []
                elif isinstance(item, (str, int, float)):
                    pairs.append((key, str(item)))
    return CleanMultiDict(pairs)


def _read_json_bodies_as_forms():
    """Flask-WTF gives a form `ImmutableMultiDict(request.get_json())` when a JSON body comes instead of a
    form, and a list, a number or a nested object there is a TypeError: a 500 anyone could cause on /login.
    Every Xiuhua form is sent form-encoded; a JSON body is read as _json_as_form says."""
    from flask_wtf.form import FlaskForm, _Auto, _is_submitted

    wrap = FlaskForm.Meta.wrap_formdata
    if getattr(wrap, "reads_json_as_form", False):
        return

    def wrap_formdata(self, form, formdata):
        if formdata is _Auto and _is_submitted() and not request.files and not request.form and request.is_json:
            return _json_as_form(request.get_json(silent=True))
        return wrap(self, form, formdata)

    wrap_formdata.reads_json_as_form = True
    FlaskForm.Meta.wrap_formdata = wrap_formdata


def _refuse_controls_in_path(endpoint, values):
    if values and any(isinstance(v, str) and CONTROLS.search(v) for v in values.values()):
        abort(404)


def init_app(app):
    app.request_class = Request
    app.url_value_preprocessor(_refuse_controls_in_path)
    _read_json_bodies_as_forms()
