"""One reader for every uploaded table (catalogue, component census): a CSV file or the first sheet of an
Excel .xlsx workbook becomes (line, cells) rows of text, so a user need not save a workbook as CSV first.

A workbook is read with openpyxl after checks that keep a hostile file from costing the server: the zip's
uncompressed size and member count are bounded before anything is parsed, and defusedxml (installed beside
openpyxl, which uses it when present) refuses XML entity tricks. An old .xls workbook is refused with a
message that says what to do."""

import datetime
import io
import zipfile

from flask_babel import gettext as _

from core.importing.decoding import CONTROL, ImportRefused, read_csv

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
# A census sheet of 100,000 rows unpacks to about 40 MB; beyond these a workbook is refused unread.
MAX_UNPACKED_BYTES = 200 * 2**20
MAX_MEMBERS = 1000


def read_rows(data: bytes):
    """(line, cells) for every non-blank row of a CSV file or of a workbook's first sheet; ImportRefused."""
    if data.startswith(XLS_MAGIC):
        raise ImportRefused(_("This is an old Excel 97-2003 workbook (.xls). In Excel, save it as .xlsx or CSV."))
    if data.startswith(XLSX_MAGIC):
        return _sheet_rows(data)
    return read_csv(data)


def _sheet_rows(data: bytes):
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise ImportRefused(_("The Excel workbook is damaged and cannot be read.")) from None
    if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise ImportRefused(_("The Excel workbook is too large once unpacked."))
    if "xl/workbook.xml" not in archive.namelist():
        raise ImportRefused(_("This zip file is not an Excel .xlsx workbook."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [row for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    except Exception:  # openpyxl raises many kinds for a broken workbook; all mean the same to the user
        raise ImportRefused(_("The Excel workbook is damaged and cannot be read.")) from None
    return list(_text_rows(rows))


def _text_rows(rows):
    width = None
    for line, values in enumerate(rows, start=1):
        cells = [_text(value) for value in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if not any(cell.strip() for cell in cells):
            continue
        for cell in cells:  # XML cannot hold them, but a reader that unescapes _x0001_ would give them
            if CONTROL.search(cell):
                raise ImportRefused(
                    _("Line %(line)d holds a control character: this is not a plain text file.", line=line)
                )
        if width is None:
            width = len(cells)
        elif len(cells) < width:
            cells += [""] * (width - len(cells))
        yield line, cells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
