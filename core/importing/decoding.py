"""One decoder for every uploaded text file (catalogue and census CSV, calendar CSV, GeoJSON grids): the
bytes of a file become its text, or the file is refused whole with an `ImportRefused` whose message says
why in the user's language, the same message whichever import refused it.

Accepted: UTF-8 with or without a BOM, UTF-16 with a BOM, and GB18030 (which includes GBK: Excel in China
saves CSV in it). Refused: an Excel workbook, a binary file, a control character, a file over the limit,
an empty file, and broken UTF-8 (which GB18030 would turn into nonsense)."""

import codecs
import csv
import io
import re
from pathlib import Path

from flask_babel import gettext as _

EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and .xls (OLE2)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls but tab, line feed, carriage return
# GBK text fails as UTF-8 within its first few Chinese characters; this many good ones first means the
# file is UTF-8, damaged.
UTF8_EVIDENCE = 20


class ImportRefused(ValueError):
    """The file cannot be imported at all; str() says why, in the user's language."""


def too_large(limit: int) -> ImportRefused:
    return ImportRefused(_("The file is larger than %(mb)d MB.", mb=max(1, limit // 2**20)))


def read_bytes(source, limit: int) -> bytes:
    """An upload or file for an import: a path, a binary stream or bytes, at most `limit` bytes of it."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | Path):
        with open(source, "rb") as stream:
            data = stream.read(limit + 1)
    else:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    return data


def decode_text(data: bytes, *, limit: int | None = None) -> str:
    """The text of a file, or ImportRefused."""
    if limit is not None and len(data) > limit:
        raise too_large(limit)
    if data.startswith(EXCEL_MAGIC):
        raise ImportRefused(_("This is an Excel workbook, not a text file. In Excel, save it as CSV first."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportRefused(_("The file is not valid UTF-16 text.")) from None
    elif b"\x00" in data:
        raise ImportRefused(_("This is not a text file."))
    else:
        text = _utf8_or_gb18030(data)
    control = CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise ImportRefused(_("Line %(line)d holds a control character: this is not a plain text file.", line=line))
    if not text.lstrip("\ufeff").strip():
        raise ImportRefused(_("The file is empty."))
    return text.removeprefix("\ufeff")


def _utf8_or_gb18030(data: bytes) -> str:
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        good = body[: error.start].decode("utf-8")
        if bom or sum(ord(ch) > 127 for ch in good) >= UTF8_EVIDENCE:
            line = good.count("\n") + 1
            raise ImportRefused(
                _("Line %(line)d is not valid UTF-8: the file may be damaged or cut off.", line=line)
            ) from None
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportRefused(_("The file is neither UTF-8 nor GBK/GB18030 text.")) from None


def read_csv(data: bytes | str, *, limit: int | None = None):
    """(line where the record starts, cells) for every non-blank record of a CSV file (bytes are decoded
    first, text is read as it is); ImportRefused naming the line of broken CSV."""
    text = decode_text(data, limit=limit) if isinstance(data, bytes | bytearray) else data
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as error:
        raise ImportRefused(_("Line %(line)d is not valid CSV (%(error)s).", line=start, error=error)) from None
