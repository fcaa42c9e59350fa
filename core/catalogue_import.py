"""Importing categories and filing standards from CSV: `import_file`, used by `flask catalogue import` and,
in a background thread with its progress in CatalogueImport, by the admin page.

Two files are recognised by their header: the GB/T 47678.5-2026 catalogue (kind,class_code,class_name,code,
name) and a city's filing standard (kind,big_code,big_name,small_code,small_name,立案条件,处置时限,...).
The edition follows from the code lengths (2+2 digits: 2013, 2+3: 2026). A file that cannot be read as one
of them is refused whole (ImportFileError); a readable file whose rows have problems lists them by line,
and writes nothing unless told to skip them. All writes happen in one transaction."""

import codecs
import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background
from core.catalogue import EDITIONS, KINDS, LONG_TEXT, CatalogueImport, Category, FilingStandard
from core.db import db
from core.timelimits import LimitError, parse_limit

log = logging.getLogger(__name__)

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
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportFileError(ValueError):
    """The file cannot be imported at all; str() says why, in the user's language."""


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


@dataclass
class ImportResult:
    filename: str
    format: str
    edition: str
    total: int  # data rows in the file
    counts: dict[str, dict[str, int]]  # "component", "event" (types), "standard" (rows): created/updated/...
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    dry_run: bool = False
    written: bool = False

    def lines(self) -> list[str]:
        """The counts in English, one line per kind (for the command line and the audit trail)."""
        names = {"component": "component types", "event": "event types", "standard": "filing standards"}
        return [
            f"{names[kind]}: " + ", ".join(f"{n} {what}" for what, n in numbers.items())
            for kind, numbers in self.counts.items()
        ]


@dataclass
class Plan:
    categories: dict[tuple[str, str], dict] = field(default_factory=dict)  # (kind, code) → fields
    standards: list[tuple[tuple[str, str], dict]] = field(default_factory=list)  # ((kind, code), fields)
    keep: set[tuple[str, str, str]] = field(default_factory=set)  # every (kind, code, condition) in the file


# --- reading -----------------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "upload.csv"


def read_bytes(source) -> bytes:
    """A path, a binary stream or bytes, at most MAX_BYTES of it."""
    return background.read_at_most(source, MAX_BYTES, ImportFileError)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (which includes GBK: Excel in China saves
    CSV in it)."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(_("This is an Excel workbook, not a CSV file. In Excel, save it as CSV first."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not valid UTF-16 text.")) from None
    elif b"\x00" in data:
        raise ImportFileError(_("This is not a text file: a CSV file is expected."))
    else:
        text = _utf8_or_gb18030(data)
    if CONTROL.search(text):
        raise ImportFileError(_("This is not a text file: a CSV file is expected."))
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    return text


def _utf8_or_gb18030(data: bytes) -> str:
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        good = body[: error.start].decode("utf-8")
        # GBK text fails as UTF-8 within its first few Chinese characters. A file that had a BOM or many
        # good UTF-8 characters before the bad byte is broken UTF-8, which GB18030 would turn into nonsense.
        if bom or sum(ord(ch) > 127 for ch in good) >= 20:
            line = good.count("\n") + 1
            raise ImportFileError(
                _("Line %(line)d is not valid UTF-8: the file may be damaged or cut off.", line=line)
            ) from None
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is neither UTF-8 nor GBK/GB18030 text: a CSV file is expected.")) from None


def column_name(cell: str) -> str | None:
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    text = text.split("(", 1)[0].strip().replace(" ", "_")
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text]
    known = {name for names in FORMATS.values() for name in names} | OPTIONAL_COLUMNS
    return text if text in known else None


def csv_records(text: str):
    """(line where the record starts, cells) for every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as error:
        raise ImportFileError(_("Line %(line)d is not valid CSV (%(error)s).", line=start, error=error)) from None


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
    for line, cells in csv_records(decode(data)):
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


# --- checking rows -----------------------------------------------------------------------------------


def _too_long(columns: list[tuple[str, str, int]]) -> str | None:
    """(column title, value, longest allowed) → why the first too long one cannot be kept."""
    for title, value, limit in columns:
        if len(value) > limit:
            return _("The column %(column)s is longer than %(n)d characters.", column=title, n=limit)
    return None


def _category_problem(row: Row, category: dict, catalogue: bool, names_at: dict) -> str | None:
    # Class names may differ between the types of one class (Yuncheng names class 02 both 交通设施 and
    # 道路交通设施): each type keeps the class name its own rows give.
    class_title, name_title = ("class_name", "name") if catalogue else ("big_name", "small_name")
    if not category["name"]:
        return _("The type name (%(column)s) is empty.", column=name_title)
    if not category["class_name"]:
        return _("The class name (%(column)s) is empty.", column=class_title)
    first = names_at.get((row.kind, row.code))
    if first and catalogue:
        return _("Type %(code)s is already on line %(line)d.", code=row.code, line=first[0])
    if first and first[1] != category["name"]:
        return _("Type %(code)s is named %(name)s on line %(line)d.", code=row.code, name=first[1], line=first[0])
    return _too_long(
        [
            (class_title, category["class_name"], Category.class_name.max_length),
            (name_title, category["name"], Category.name.max_length),
        ]
    )


def _standard_problem(standard: dict, same_condition_line: int | None, code: str) -> str | None:
    """Why a filing-standard row cannot be used, or None. Fills in the parsed limit."""
    if not standard["filing_condition"]:
        return _("The filing condition (立案条件) is empty.")
    if same_condition_line is not None:
        return _("Type %(code)s has the same filing condition on line %(line)d.", code=code, line=same_condition_line)
    problem = _too_long(
        [
            ("立案条件", standard["filing_condition"], FilingStandard.filing_condition.max_length),
            ("处置时限", standard["limit_text"], FilingStandard.limit_text.max_length),
            ("结案条件", standard["closing_condition"], LONG_TEXT),
            ("责任主体", standard["handling_unit"], LONG_TEXT),
            ("监管主体", standard["supervising_unit"], LONG_TEXT),
        ]
    )
    if problem:
        return problem
    try:
        limit = parse_limit(standard["limit_text"])
    except LimitError as error:
        return str(error)
    standard.update(limit_value=limit.value, limit_unit=limit.unit, limit_note=limit.note)
    return None


def _check(table: Table, filename: str, progress) -> tuple[Plan, list[tuple[int, str]]]:
    """Check every row; returns what to write and the rejected rows (line, reason). A rejected row
    contributes nothing, but its filing standard, if it has one in the database, is not retired."""
    plan, rejected = Plan(), []
    names_at: dict[tuple[str, str], tuple[int, str]] = {}  # (kind, code) → (first line, name)
    conditions_at: dict[tuple[str, str, str], int] = {}  # (kind, code, filing condition) → line
    position: dict[tuple[str, str], int] = {}
    catalogue = table.format == "catalogue"
    for done, row in enumerate(table.rows, 1):
        key, cells = (row.kind, row.code), row.cells
        category = {
            "class_code": row.class_code,
            "class_name": cells["class_name" if catalogue else "big_name"],
            "name": cells["name" if catalogue else "small_name"],
        }
        reason = _category_problem(row, category, catalogue, names_at)
        standard = None
        if not catalogue:
            position[key] = position.get(key, 0) + 1  # rejected rows keep their place: seq follows the file
            condition = cells["filing_condition"]
            standard = {
                "seq": position[key],
                "filing_condition": condition,
                "limit_text": cells["limit"],
                "closing_condition": cells["closing_condition"],
                "handling_unit": cells["handling_unit"],
                "supervising_unit": cells["supervising_unit"],
                "source": (f"{filename}: {cells['source_file']}" if cells.get("source_file") else filename)[:255],
                "active": True,
            }
            reason = reason or _standard_problem(standard, conditions_at.get((*key, condition)), row.code)
            if condition:
                plan.keep.add((*key, condition))
        if reason is not None:
            rejected.append((row.line, reason))
        else:
            names_at.setdefault(key, (row.line, category["name"]))
            plan.categories[key] = category
            if standard is not None:
                conditions_at[(*key, standard["filing_condition"])] = row.line
                plan.standards.append((key, standard))
        if progress:
            progress("checking", done, len(table.rows))
    return plan, rejected


# --- writing -----------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _save(model, existing, fields: dict, counter: dict, **key):
    """Create, update or leave one row; count which. Returns the row. The source file alone changing is
    no change: `source` names the file the row's content last came from."""
    if existing is None:
        counter["created"] += 1
        return model.create(**key, **fields)
    if all(getattr(existing, name) == value for name, value in fields.items() if name != "source"):
        counter["unchanged"] += 1
        return existing
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.version += 1  # an edit form opened before the import is refused, not saved over it
    existing.save()
    counter["updated"] += 1
    return existing


def _apply(plan: Plan, edition: str, counts: dict):
    existing = {(c.kind, c.code): c for c in Category.select().where(Category.edition == edition)}
    saved = {
        key: _save(Category, existing.get(key), fields, counts[key[0]], edition=edition, kind=key[0], code=key[1])
        for key, fields in plan.categories.items()
    }
    if "standard" not in counts:
        return
    keys = {category.id: key for key, category in saved.items()}
    current = {
        (s.category_id, s.filing_condition): s
        for s in FilingStandard.select().join(Category).where(Category.edition == edition)
    }
    for key, fields in plan.standards:
        category = saved[key]
        found = current.pop((category.id, fields["filing_condition"]), None)
        _save(FilingStandard, found, fields, counts["standard"], category=category)
    for (category_id, condition), standard in current.items():
        key = keys.get(category_id)
        if key is not None and standard.active and (*key, condition) not in plan.keep:
            standard.active = False
            standard.version += 1
            standard.save()
            counts["standard"]["retired"] += 1


def import_file(source, filename, *, skip_rejected=False, dry_run=False, progress=None, user=None) -> ImportResult:
    """Import a catalogue or filing-standard CSV (a path, a binary stream or bytes). Raises ImportFileError
    for a file that cannot be imported at all. Rows with problems are returned in `rejected`; then
    nothing is written unless `skip_rejected`. `dry_run` compares and writes nothing. `progress(stage,
    done, total)` is called per row while checking ("checking"), then once before the database work
    ("database"). One transaction; one audit entry when something was written."""
    filename = display_name(filename)
    table = read_table(read_bytes(source))
    counts = {kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in KINDS}
    if table.format == "standards":
        counts["standard"] = {"created": 0, "updated": 0, "unchanged": 0, "retired": 0}
    result = ImportResult(filename, table.format, table.edition, len(table.rows), counts, dry_run=dry_run)
    plan, result.rejected = _check(table, filename, progress)
    write = not dry_run and (skip_rejected or not result.rejected)
    if progress:
        progress("database", result.total, result.total)
    try:
        with db.atomic():
            _apply(plan, table.edition, counts)
            if not write:
                raise _Rollback
            audit.record(
                "catalogue.import",
                "catalogue",
                table.edition,
                f"{filename} ({EDITIONS[table.edition]}): " + "; ".join(result.lines()),
                after={
                    "file": filename,
                    "edition": table.edition,
                    "counts": counts,
                    "rejected_lines": [line for line, _reason in result.rejected],
                },
                actor=user,
            )
    except _Rollback:
        pass
    except IntegrityError:
        raise ImportFileError(
            _("Someone changed the catalogue during the import; nothing was written. Run the import again.")
        ) from None
    result.written = write
    return result


# --- background imports from the admin page ----------------------------------------------------------


def start(app, data: bytes, filename: str, *, skip_rejected: bool, dry_run: bool, user, locale: str):
    """Record an import and run it in a background thread; the page polls the returned row."""
    return background.start(
        app,
        CatalogueImport,
        data,
        locale,
        _work,
        filename=filename,
        skip_rejected=skip_rejected,
        dry_run=dry_run,
        user=user,
    )


def _work(job, data, user, progress) -> dict:
    try:
        result = import_file(
            data, job.filename, skip_rejected=job.skip_rejected, dry_run=job.dry_run, progress=progress, user=user
        )
    except ImportFileError as error:
        return {"status": "failed", "error": str(error)}
    return background.rows_outcome(result, job.dry_run)


# --- flask catalogue ---------------------------------------------------------------------------------

catalogue_cli = AppGroup("catalogue", help="Categories of components and events, and filing standards.")


@catalogue_cli.command("import", help="Import a catalogue or filing-standard CSV file (UTF-8 or GBK).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-rejected", is_flag=True, help="Import the good rows even when some are rejected.")
@click.option("--dry-run", is_flag=True, help="Check and compare only; write nothing.")
def import_command(path, skip_rejected, dry_run):
    with db.connection_context(), force_locale("en"):
        try:
            result = import_file(path, path, skip_rejected=skip_rejected, dry_run=dry_run)
        except ImportFileError as error:
            raise click.ClickException(f"{Path(path).name}: {error}") from None
    click.echo(f"{result.filename}: {result.format} file, {EDITIONS[result.edition]}, {result.total} rows")
    for line in result.lines():
        click.echo(line)
    for line, reason in result.rejected:
        click.echo(f"line {line}: {reason}")
    if result.written:
        click.echo(f"written; {len(result.rejected)} rejected rows skipped" if result.rejected else "written")
    elif dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"{len(result.rejected)} rows rejected: nothing was written (--skip-rejected imports the others)")
        raise SystemExit(1)


@catalogue_cli.command("list", help="List the categories.")
@click.option("--edition", type=click.Choice(list(EDITIONS)))
@click.option("--kind", type=click.Choice(list(KINDS)))
def list_command(edition, kind):
    with db.connection_context():
        query = Category.select().order_by(Category.edition, Category.kind, Category.code)
        if edition:
            query = query.where(Category.edition == edition)
        if kind:
            query = query.where(Category.kind == kind)
        for category in query:
            state = "" if category.active else "  (not in use)"
            click.echo(f"{category.edition} {category.kind:9} {category.code:5} {category.name}{state}")
        if not query.exists():
            click.echo("no categories: import a catalogue with `flask catalogue import FILE`")
