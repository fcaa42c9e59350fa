"""Importing and exporting the component census as CSV: `import_file`, used by `flask components import`
and, in a background thread with its progress in ComponentImport, by the admin page.

A file that cannot be read at all (encoding, header, broken CSV: core.importing.decoding) is refused whole
(ImportFileError). A readable file's rows are checked one by one (core/components/census_checks.py) and problems are listed by line; then nothing is written unless
the caller chose to skip bad rows. All writes happen in one transaction; importing the same file again
changes nothing; a row whose status differs from the database adds a status-history row."""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background, clock
from core.catalogue.reading import ImportFileError, display_name
from core.components.census_checks import COLUMNS, STATUS_CHINESE, Checker, id_problem, type_code
from core.components.models import Component, ComponentImport, ComponentStatusChange
from core.db import db
from core.grids.geo import CRS
from core.importing import decoding, tables
from core.parsing import escape_controls

__all__ = [
    "COLUMNS",
    "STATUS_CHINESE",
    "ImportFileError",
    "display_name",
    "id_problem",
    "import_file",
    "read_table",
    "type_code",
]

CHUNK = 200
MAX_BYTES = 50 * 1024 * 1024  # about 250,000 rows

REQUIRED = ("code", "name", "status", "longitude", "latitude")
HEADER_ALIASES = {
    **{chinese: name for name, chinese in COLUMNS.items()},
    "部件编码": "code",
    "标识码": "code",
    "部件编号": "code",
    "id": "code",
    "名称": "name",
    "类别代码": "type_code",
    "部件类别代码": "type_code",
    "type": "type_code",
    "状态": "status",
    "主管部门名称": "supervising_department",
    "supervising": "supervising_department",
    "权属单位名称": "owning_department",
    "权属部门": "owning_department",
    "owner": "owning_department",
    "养护单位名称": "maintaining_department",
    "养护部门": "maintaining_department",
    "maintainer": "maintaining_department",
    "普查日期": "survey_date",
    "date": "survey_date",
    "lon": "longitude",
    "lng": "longitude",
    "lat": "latitude",
    "网格编码": "grid",
    "所在单元网格": "grid",
    "单元网格": "grid",
    "位置描述": "address",
    "位置": "address",
}
COMPARED = (
    "name",
    "category_id",
    "supervising_department",
    "owning_department",
    "maintaining_department",
    "maintainer_id",
    "survey_date",
    "changed_on",
    "source",
    "longitude",
    "latitude",
    "grid_id",
    "address",
    "note",
)


@dataclass
class Table:
    columns: dict[str, int]
    width: int
    rows: list[tuple[int, list[str]]]  # (line, cells)


@dataclass
class ImportResult:
    filename: str
    total: int
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "status_changed": 0, "unchanged": 0}
    )
    rejected: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def line(self) -> str:
        return ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in self.counts.items())


# --- reading -----------------------------------------------------------------------------------------


def read_bytes(source) -> bytes:
    """A path, a binary stream or bytes, at most MAX_BYTES of it."""
    return decoding.read_bytes(source, MAX_BYTES)


def column_name(cell: str) -> str | None:
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    text = text.split("(", 1)[0].strip().replace(" ", "_")
    if text in COLUMNS:
        return text
    return HEADER_ALIASES.get(text)


def read_table(data: bytes) -> Table:
    """Decode a whole file and read its header. Raises ImportFileError for a file that cannot be imported
    at all; rows are checked later, one by one."""
    from core.components.export import restore

    header, rows = None, []
    for line, cells in tables.read_rows(data):
        cells = [restore(cell) for cell in cells]  # a cell the export neutralised for Excel
        if header is None:
            header = [column_name(cell) for cell in cells]
            continue
        rows.append((line, cells))
    names = [name for name in header if name]
    for name in {n for n in names if names.count(n) > 1}:
        raise ImportFileError(_("The header has the column %(name)s twice.", name=COLUMNS[name]))
    missing = [COLUMNS[name] for name in REQUIRED if name not in names]
    if len(missing) > len(REQUIRED) // 2:
        raise ImportFileError(
            _(
                "The first line is not a component census header. It needs at least these columns: %(names)s.",
                names=",".join(COLUMNS[name] for name in REQUIRED),
            )
        )
    if missing:
        raise ImportFileError(_("The header lacks these columns: %(names)s.", names=", ".join(missing)))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    columns = {name: index for index, name in enumerate(header) if name}
    return Table(columns=columns, width=len(header), rows=rows)


# --- writing -----------------------------------------------------------------------------------------


def _plan(rows: list[dict], existing: dict[str, Component], counts: dict) -> tuple[list, list, list]:
    """(rows to create, (component, fields) to update, (component, new status) changes), with counts."""
    create, update, changes = [], [], []
    for fields in rows:
        found = existing.get(fields["code"])
        if found is None:
            counts["created"] += 1
            create.append(fields)
            continue
        differs = any(getattr(found, name) != fields[name] for name in COMPARED)
        if found.status != fields["status"]:
            counts["status_changed"] += 1
            changes.append((found, fields["status"]))
        if differs:
            counts["updated"] += 1
        if differs or found.status != fields["status"]:
            update.append((found, fields))
        else:
            counts["unchanged"] += 1
    return create, update, changes


def _write(create, update, changes, note: str, user):
    now = clock.now()
    by = user.id if user else None
    for start in range(0, len(create), CHUNK):
        chunk = [{**fields, "created_at": now, "updated_at": now} for fields in create[start : start + CHUNK]]
        Component.insert_many(chunk).execute()
    new_ids = {}
    codes = [fields["code"] for fields in create]
    for start in range(0, len(codes), CHUNK):
        query = Component.select(Component.id, Component.code).where(Component.code.in_(codes[start : start + CHUNK]))
        new_ids.update({code: id_ for id_, code in query.tuples()})
    history = [
        {
            "component": new_ids[f["code"]],
            "from_status": "",
            "to_status": f["status"],
            "at": now,
            "by": by,
            "note": note,
        }
        for f in create
    ]
    history += [
        {"component": c.id, "from_status": c.status, "to_status": status, "at": now, "by": by, "note": note}
        for c, status in changes
    ]
    for start in range(0, len(history), CHUNK):
        ComponentStatusChange.insert_many(history[start : start + CHUNK]).execute()
    for component, fields in update:
        values = {name: fields[name] for name in (*COMPARED, "status")}
        Component.update(updated_at=now, **values).where(Component.id == component.id).execute()


def import_file(source, filename, *, crs="wgs84", skip_bad=False, dry_run=False, progress=None, user=None):
    """Import a census CSV (a path, a binary stream or bytes). Raises ImportFileError for a file that cannot
    be imported at all. Bad rows are returned in `rejected` (line, reason); then nothing is written unless
    `skip_bad`. `dry_run` compares and writes nothing. One transaction, one audit entry when written."""
    if crs not in CRS:
        raise ImportFileError(_("Unknown coordinate system %(crs)s.", crs=crs))
    filename = display_name(filename)
    table = read_table(read_bytes(source))
    result = ImportResult(filename, len(table.rows), dry_run=dry_run)
    edition = current_app.config["CATALOGUE_EDITION"]
    checker = Checker(edition, crs)
    good = []
    for done, (line, cells) in enumerate(table.rows, 1):
        fields, reason = checker.check(line, cells, table)
        if reason is not None:
            result.rejected.append((line, reason))
        else:
            good.append(fields)
        if progress:
            progress("checking", done, result.total)
    if progress:
        progress("database", result.total, result.total)
    create, update, changes = _plan(good, checker.existing, result.counts)
    write = not dry_run and (skip_bad or not result.rejected)
    if not write:
        return result
    try:
        with db.atomic():
            _write(create, update, changes, f"{filename}"[:500], user)
            audit.record(
                "components.import",
                "component_census",
                "",
                f"{filename} ({crs}): {result.line()}",
                after={
                    "file": filename,
                    "crs": crs,
                    "counts": result.counts,
                    "rejected_lines": [line for line, _reason in result.rejected],
                },
                actor=user,
            )
    except IntegrityError:
        raise ImportFileError(
            _("Someone changed the census during the import; nothing was written. Run the import again.")
        ) from None
    result.written = True
    return result


# --- export ------------------------------------------------------------------------------------------


def csv_bytes(header, rows) -> bytes:
    """UTF-8 with a BOM, so that Excel in China opens it right (core/components/export.py writes rows)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + escape_controls(buffer.getvalue()).encode("utf-8")


# --- background imports from the admin page ----------------------------------------------------------


def start(app, data: bytes, filename: str, *, crs: str, skip_bad: bool, dry_run: bool, user, locale: str):
    return background.start(
        app,
        ComponentImport,
        data,
        locale,
        _work,
        filename=filename,
        crs=crs,
        skip_bad=skip_bad,
        dry_run=dry_run,
        user=user,
    )


def _work(job, data, user, progress) -> dict:
    try:
        result = import_file(
            data, job.filename, crs=job.crs, skip_bad=job.skip_bad, dry_run=job.dry_run, progress=progress, user=user
        )
    except ImportFileError as error:
        return {"status": "failed", "error": str(error)}
    return background.rows_outcome(result, job.dry_run)


# --- flask components --------------------------------------------------------------------------------
