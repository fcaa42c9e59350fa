"""Excel exports: one shape for every table the app offers as a spreadsheet."""

import io
import itertools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.parsing import escape_controls


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: Iterable[list] = field(default_factory=list)  # a list, or produced lazily (then give total)
    notes: list[str] = field(default_factory=list)  # lines written under the table (formula, source, period)
    widths: list[int] | None = None  # column widths in characters; None: from the first rows
    total: int | None = None  # the rows expected, when `rows` is lazy (for an export's progress)

    @property
    def expected(self) -> int:
        return self.total if self.total is not None else len(self.rows)


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    buffer = io.BytesIO()
    write_book(buffer, sheets)
    return buffer.getvalue()


def send_workbook(filename: str, sheets: list[Sheet]):
    """A download response; `filename` without extension may contain Chinese."""
    return send_file(
        io.BytesIO(workbook_bytes(sheets)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{filename}.xlsx",
    )


def write_book(target, sheets: list[Sheet], progress: Callable[[int], None] | None = None, every: int = 500) -> int:
    """Write the sheets to `target` (a path, or a binary stream) row after row, in openpyxl's write-only
    mode: time grows with the rows and memory stays flat, however long the sheets. Returns the number of
    rows written (notes not counted); `progress(rows so far)` every `every` rows. A file appears at its
    path only once complete."""
    book = Workbook(write_only=True)
    count = 0
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        rows = iter(sheet.rows)
        widths = sheet.widths
        if widths is None:  # measured on the first rows, which are then written first
            first = list(itertools.islice(rows, WIDTH_SAMPLE))
            rows = itertools.chain(first, rows)
            widths = _widths(sheet.headers, first)
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws.append([_bold(ws, header) for header in sheet.headers])
        for row in rows:
            ws.append([_text_safe(ws, _cell(value)) for value in row])
            count += 1
            if progress and count % every == 0:
                progress(count)
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                ws.append([_text_safe(ws, escape_controls(str(note)))])
    if not isinstance(target, str | Path):
        book.save(target)
        return count
    path = Path(target)
    partial = path.with_name(path.name + ".part")
    book.save(partial)
    os.replace(partial, path)
    return count


WIDTH_SAMPLE = 200  # rows read to choose column widths


def _widths(headers: list, rows: list[list]) -> list[float]:
    widths = []
    for index, header in enumerate(headers):
        longest = max([len(str(header))] + [len(str(row[index])) for row in rows if len(row) > index])
        widths.append(min(max(longest * 1.6, 8), 60))
    return widths


def _bold(ws, header) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=escape_controls(str(header)))
    cell.font = BOLD
    return cell


BOLD = Font(bold=True)


def _text_safe(ws, value):
    """Text starting with "=" (a citizen's description, say) stays text: openpyxl would write a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _cell(value):
    """What a cell holds: numbers and times as they are, anything else as text with its control characters
    shown as control pictures (openpyxl refuses them: a NUL in one description would fail the export)."""
    if value is None or isinstance(value, (int, float, datetime)):
        return value
    return escape_controls(str(value))


def _sheet_title(title: str) -> str:
    # Excel forbids these characters and more than 31 characters in a sheet name.
    for char in "[]:*?/\\":
        title = str(title).replace(char, " ")
    return escape_controls(title)[:31] or "Sheet"
