"""Excel exports: one shape for every table the app offers as a spreadsheet."""

import io
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
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines written under the table (formula, source, period)


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        ws.append([escape_controls(str(h)) for h in sheet.headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            _append_text_safe(ws, [_cell(value) for value in row])
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                _append_text_safe(ws, [escape_controls(str(note))])
        ws.freeze_panes = "A2"
        for index, header in enumerate(sheet.headers, start=1):
            width = max(
                [len(str(header))] + [len(str(row[index - 1])) for row in sheet.rows[:200] if len(row) >= index]
            )
            ws.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 8), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def send_workbook(filename: str, sheets: list[Sheet]):
    """A download response; `filename` without extension may contain Chinese."""
    return send_file(
        io.BytesIO(workbook_bytes(sheets)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{filename}.xlsx",
    )


def write_rows(
    path: Path,
    title: str,
    headers: list[str],
    widths: list[int],
    rows: Iterable[list],
    progress: Callable[[int], None] | None = None,
    every: int = 500,
) -> int:
    """Stream a one-sheet workbook of any length to `path` (openpyxl's write-only mode: memory stays flat)
    and return the number of rows; `progress(rows so far)` every `every` rows. The file appears at
    `path` only once complete."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(_sheet_title(title))
    ws.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=escape_controls(str(header)))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    ws.append(header_cells)
    count = 0
    for row in rows:
        ws.append([_text_safe(ws, _cell(value)) for value in row])
        count += 1
        if progress and count % every == 0:
            progress(count)
    partial = path.with_name(path.name + ".part")
    book.save(partial)
    os.replace(partial, path)
    return count


def _append_text_safe(ws, values: list):
    """ws.append, with text starting with "=" kept as text (as _text_safe does in write-only mode)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


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
