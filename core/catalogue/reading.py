"""Reading a catalogue or filing-standard CSV file (importer.py checks and writes its rows): the encoding,
the header, the fields of each row, the kinds and the codes.

Two files are recognised by their header: the GB/T 47678.5-2026 catalogue (kind,class_code,class_name,code,
name) and a city's filing standard (kind,big_code,big_name,small_code,small_name,立案条件,处置时限,...).
The edition follows from the code lengths (2+2 digits: 2013, 2+3: 2026). A file that cannot be read as one
of them is refused whole (ImportFileError, core.importing's ImportRefused); the bytes become text and CSV
records in core.importing.decoding, as for every import."""

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from core.importing import decoding, tables
from core.importing.decoding import ImportRefused

MAX_BYTES = 5 * 1024 * 1024

FORMATS = {
    "catalogue": ("kind", "class_code", "class_name", "code", "name"),
    "standards": (
        "kind",
        "big_code",
        "big_name",
        "small_code",
        "small_name",
        "filing_condition",
        "limit",
        "closing_condition",
        "handling_unit",
        "supervising_unit",
    ),
}
OPTIONAL_COLUMNS = {"source_file"}
# Header cells are compared without what follows "(" and in lower case: "立案条件(filing condition)".
HEADER_ALIASES = {
    "立案条件": "filing_condition",
    "处置时限": "limit",
    "time_limit": "limit",
    "结案条件": "closing_condition",
    "责任主体/处置单位": "handling_unit",
    "责任主体": "handling_unit",
    "处置单位": "handling_unit",
    "监管主体/主管部门": "supervising_unit",
    "监管主体": "supervising_unit",
    "主管部门": "supervising_unit",
}
KIND_WORDS = {
    "component": "component",
    "部件": "component",
    "管理部件": "component",
    "event": "event",
    "matter": "event",
    "事件": "event",
    "事项": "event",
    "管理事项": "event",
}
EDITION_BY_TYPE_DIGITS = {2: "2013", 3: "2026"}  # digits after the 2-digit class code
DIGITS = re.compile(r"[0-9]+")


ImportFileError = ImportRefused  # the file cannot be imported at all; str() says why (core.importing)


@dataclass
class Row:
    line: int
    kind: str
    class_code: str
    code: str
    cells: dict[str, str]


@dataclass
class Table:
    format: str  # a key of FORMATS
    edition: str
    rows: list[Row]


# --- reading -----------------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "upload.csv"


def read_bytes(source) -> bytes:
    """A path, a binary stream or bytes, at most MAX_BYTES of it."""
    return decoding.read_bytes(source, MAX_BYTES)


def column_name(cell: str) -> str | None:
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    text = text.split("(", 1)[0].strip().replace(" ", "_")
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text]
    known = {name for names in FORMATS.values() for name in names} | OPTIONAL_COLUMNS
    return text if text in known else None


def _header(cells: list[str]) -> tuple[str, dict[str, int]]:
    names = [column_name(cell) for cell in cells]
    for name in {n for n in names if n and names.count(n) > 1}:
        raise ImportFileError(_("The header has the column %(name)s twice.", name=name))
    present = {name: index for index, name in enumerate(names) if name}
    for fmt in ("standards", "catalogue"):
        if set(FORMATS[fmt]) <= set(present):
            return fmt, present
    best = max(FORMATS, key=lambda fmt: len(set(FORMATS[fmt]) & set(present)))
    if len(set(FORMATS[best]) & set(present)) >= 3:
        missing = ", ".join(name for name in FORMATS[best] if name not in present)
        raise ImportFileError(_("The header lacks these columns: %(names)s.", names=missing))
    raise ImportFileError(
        _(
            "The first line is not a header Xiuhua knows. Expected the catalogue (%(catalogue)s) or a filing "
            "standard (%(standards)s).",
            catalogue=",".join(FORMATS["catalogue"]),
            standards="kind,big_code,big_name,small_code,small_name,立案条件,处置时限,结案条件,责任主体,监管主体",
        )
    )


def _code(line: int, value: str, digits: tuple[int, ...]) -> str:
    code = unicodedata.normalize("NFKC", value).strip()
    if not DIGITS.fullmatch(code):
        raise ImportFileError(_("Line %(line)d: the code %(code)s is not made of digits.", line=line, code=value))
    if len(code) not in digits:
        raise ImportFileError(
            _(
                "Line %(line)d: the code %(code)s should have %(digits)s digits. Spreadsheets drop leading "
                "zeros: format the code columns as text.",
                line=line,
                code=value,
                digits=" / ".join(str(n) for n in digits),
            )
        )
    return code


def _row(fmt: str, columns: dict[str, int], line: int, cells: list[str]) -> Row:
    values = {name: cells[index].strip() for name, index in columns.items()}
    kind = KIND_WORDS.get(values["kind"].lower())
    if kind is None:
        raise ImportFileError(
            _(
                "Line %(line)d: the kind %(kind)s is neither 部件 (component) nor 事件 (event).",
                line=line,
                kind=values["kind"],
            )
        )
    if fmt == "catalogue":
        class_code = _code(line, values["class_code"], (2,))
        code = _code(line, values["code"], (4, 5))
        if not code.startswith(class_code):
            raise ImportFileError(
                _(
                    "Line %(line)d: the code %(code)s does not begin with its class code %(prefix)s.",
                    line=line,
                    code=code,
                    prefix=class_code,
                )
            )
    else:
        class_code = _code(line, values["big_code"], (2,))
        code = class_code + _code(line, values["small_code"], (2, 3))
    return Row(line=line, kind=kind, class_code=class_code, code=code, cells=values)


def read_table(data: bytes) -> Table:
    """Decode and parse a whole file, checking what makes it importable at all: the header, the number of
    fields in each row, the kinds and the codes. Raises ImportFileError naming the line."""
    header, fmt, columns, rows, edition = None, "", {}, [], ""
    for line, cells in tables.read_rows(data):
        if header is None:
            header = cells
            fmt, columns = _header(cells)
            continue
        if len(cells) != len(header):
            raise ImportFileError(
                _(
                    "Line %(line)d has %(found)d fields; the header has %(expected)d.",
                    line=line,
                    found=len(cells),
                    expected=len(header),
                )
            )
        row = _row(fmt, columns, line, cells)
        row_edition = EDITION_BY_TYPE_DIGITS[len(row.code) - 2]
        if edition and row_edition != edition:
            raise ImportFileError(
                _(
                    "Line %(line)d: the code %(code)s is of the %(edition)s edition, the lines before are of the "
                    "%(first)s edition. Import each edition from its own file.",
                    line=line,
                    code=row.code,
                    edition=row_edition,
                    first=edition,
                )
            )
        edition = row_edition
        rows.append(row)
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    return Table(format=fmt, edition=edition, rows=rows)
