"""Importing categories and filing standards from CSV: `import_file`, used by `flask catalogue import` and,
in a background thread with its progress in CatalogueImport, by the admin page.

reading.py reads the file; a file it cannot read is refused whole (ImportFileError). A readable file whose
rows have problems lists them by line, and writes nothing unless told to skip them. All writes happen in
one transaction."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background
from core.catalogue.models import EDITIONS, KINDS, LONG_TEXT, CatalogueImport, Category, FilingStandard
from core.catalogue.reading import (  # MAX_BYTES: the import page (core/importing/pages.py) reads it here
    MAX_BYTES,  # noqa: F401
    ImportFileError,
    Row,
    Table,
    display_name,
    read_bytes,
    read_table,
)
from core.db import db
from core.timelimits import LimitError, parse_limit


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
