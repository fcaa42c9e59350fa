"""Importing and exporting the component census as CSV: `import_file`, used by `flask components import`
and, in a background thread with its progress in ComponentImport, by the admin page.

A file that cannot be read at all (encoding, header, broken CSV) is refused whole (ImportFileError). A
readable file's rows are checked one by one and problems are listed by line; then nothing is written unless
the caller chose to skip bad rows. All writes happen in one transaction; importing the same file again
changes nothing; a row whose status differs from the database adds a status-history row."""

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background, clock
from core.catalogue.models import Category
from core.catalogue.reading import ImportFileError, csv_records, decode, display_name
from core.components.models import STATUSES, Component, ComponentImport, ComponentStatusChange
from core.db import db
from core.grids.geo import CRS, in_china, rounded, to_wgs84
from core.grids.index import locate
from core.grids.models import same_grid_codes
from core.org import Department
from core.parsing import escape_controls

__all__ = ["ImportFileError", "display_name", "import_file", "read_table"]

ADMIN_DIGITS = 6  # the district's GB/T 2260 administrative-division code
SERIAL_DIGITS = 6
TYPE_DIGITS = {"2013": 4, "2026": 5}  # class (2) + minor (2 or 3): the category code
ID_DIGITS = {edition: ADMIN_DIGITS + n + SERIAL_DIGITS for edition, n in TYPE_DIGITS.items()}  # 16, 17
CHUNK = 200
MAX_BYTES = 50 * 1024 * 1024  # about 250,000 rows

# Column names as Xiuhua writes them (export) and reads them (import, English or Chinese).
COLUMNS = {
    "code": "部件标识码",
    "name": "部件名称",
    "type_code": "小类代码",
    "status": "部件状态",
    "supervising_department": "主管部门",
    "owning_department": "权属单位",
    "maintaining_department": "养护单位",
    "survey_date": "初始日期",
    "changed_on": "变更日期",
    "source": "数据来源",
    "longitude": "经度",
    "latitude": "纬度",
    "grid": "所在网格",
    "address": "地址",
    "note": "备注",
}
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
STATUS_WORDS = {
    **{key: key for key in STATUSES},
    "完好": "intact",
    "正常": "intact",
    "normal": "intact",
    "破损": "damaged",
    "损坏": "damaged",
    "丢失": "missing",
    "缺失": "missing",
    "lost": "missing",
    "废弃": "abandoned",
    "移除": "removed",
    "拆除": "removed",
}
STATUS_CHINESE = {"intact": "完好", "damaged": "破损", "missing": "丢失", "abandoned": "废弃", "removed": "移除"}
TEXT_LIMITS = {
    "name": 100,
    "supervising_department": 100,
    "owning_department": 100,
    "maintaining_department": 100,
    "source": 100,
    "address": 200,
    "note": 500,
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
DIGITS = re.compile(r"[0-9]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


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
    return background.read_at_most(source, MAX_BYTES, ImportFileError)


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
    for line, cells in csv_records(decode(data)):
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


# --- checking rows -----------------------------------------------------------------------------------


def id_problem(code: str, edition: str) -> str | None:
    """Why a component ID cannot be right for this edition by its form alone, or None."""
    if re.fullmatch(r"[0-9.]+[eE]\+?[0-9]+", code):
        return _(
            "The ID %(code)s was turned into a number by a spreadsheet: format the ID column as text and export again.",
            code=code,
        )
    if not DIGITS.fullmatch(code):
        return _("The ID %(code)s is not made of digits.", code=code)
    if len(code) not in ID_DIGITS.values():
        return _(
            "The ID %(code)s has %(n)d digits; a component ID has 16 (2013 edition) or 17 (2026 edition).",
            code=code,
            n=len(code),
        )
    if len(code) != ID_DIGITS[edition]:
        return _(
            "The ID %(code)s has %(n)d digits, but this installation uses the %(edition)s catalogue, whose "
            "component IDs have %(expected)d digits.",
            code=code,
            n=len(code),
            edition=edition,
            expected=ID_DIGITS[edition],
        )
    return None


def type_code(code: str, edition: str) -> str:
    return code[ADMIN_DIGITS : ADMIN_DIGITS + TYPE_DIGITS[edition]]


def _coordinate(value: str) -> float | None:
    try:
        number = float(unicodedata.normalize("NFKC", value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _date(value: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class Checker:
    """Checks rows against the catalogue, the grids and the database (loaded once) and against the rows
    before them in the file."""

    def __init__(self, edition: str, crs: str):
        self.edition, self.crs = edition, crs
        self.categories = {
            c.code: c
            for c in Category.select().where(
                (Category.edition == edition) & (Category.kind == "component") & (Category.active == True)  # noqa: E712
            )
        }
        self.existing = {c.code: c for c in Component.select()}
        self.places = {
            (c.category_id, round(c.longitude, 6), round(c.latitude, 6)): c.code for c in self.existing.values()
        }
        self.departments = {}
        for dept in Department.select():
            self.departments.setdefault(dept.code, dept)
            self.departments.setdefault(dept.name, dept)
        self.code_lines: dict[str, int] = {}
        self.place_lines: dict[tuple, int] = {}

    def check(self, line: int, cells: list[str], table: Table) -> tuple[dict | None, str | None]:
        """(the component's fields, None) or (None, why the row cannot be imported)."""
        if len(cells) != table.width:
            return None, _(
                "The line has %(found)d fields; the header has %(expected)d.", found=len(cells), expected=table.width
            )
        values = {name: cells[index].strip() for name, index in table.columns.items()}
        code = unicodedata.normalize("NFKC", values["code"]).strip()
        if not code:
            return None, _("The ID (部件标识码) is empty.")
        first = self.code_lines.setdefault(code, line)
        if first != line:
            return None, _("The ID %(code)s is already on line %(line)d.", code=code, line=first)
        problem = id_problem(code, self.edition)
        if problem:
            return None, problem
        minor = type_code(code, self.edition)
        category = self.categories.get(minor)
        if category is None:
            return None, _(
                "The type code %(type)s in the ID %(code)s is not a component type of the %(edition)s catalogue.",
                type=minor,
                code=code,
                edition=self.edition,
            )
        given_type = unicodedata.normalize("NFKC", values.get("type_code", "")).strip()
        if given_type and given_type != minor:
            return None, _(
                "The ID %(code)s has the type code %(type)s, but the row says %(given)s.",
                code=code,
                type=minor,
                given=given_type,
            )
        if not values["name"]:
            return None, _("The name (部件名称) is empty.")
        status = STATUS_WORDS.get(unicodedata.normalize("NFKC", values["status"]).strip().lower())
        if status is None:
            return None, _(
                "The status %(status)s is not one of 完好, 破损, 丢失, 废弃, 移除 (intact, damaged, missing, "
                "abandoned, removed).",
                status=values["status"] or "—",
            )
        for name, limit in TEXT_LIMITS.items():
            if len(values.get(name, "")) > limit:
                return None, _("The column %(column)s is longer than %(n)d characters.", column=COLUMNS[name], n=limit)
        location = self._location(values, code)
        if isinstance(location, str):
            return None, location
        lon, lat, grid = location
        dates = {}
        for name in ("survey_date", "changed_on"):
            try:
                dates[name] = _date(values[name]) if values.get(name) else None
            except ValueError:
                return None, _(
                    "The date %(value)s (%(column)s) is not a date like 2026-05-01.",
                    value=values[name],
                    column=COLUMNS[name],
                )
        place = (category.id, round(lon, 6), round(lat, 6))
        known = self.places.get(place)
        if known is not None and known != code:
            return None, _(
                "A %(type)s at the same place is already recorded as %(other)s.", type=category.name, other=known
            )
        first = self.place_lines.setdefault(place, line)
        if first != line:
            return None, _("A %(type)s at the same place is already on line %(line)d.", type=category.name, line=first)
        maintaining = values.get("maintaining_department", "")
        dept = self.departments.get(maintaining) if maintaining else None
        fields = {
            "code": code,
            "name": values["name"],
            "category_id": category.id,
            "status": status,
            "supervising_department": values.get("supervising_department", ""),
            "owning_department": values.get("owning_department", ""),
            "maintaining_department": maintaining,
            "maintainer_id": dept.id if dept else None,
            "source": values.get("source", ""),
            "longitude": lon,
            "latitude": lat,
            "grid_id": grid.id,
            "address": values.get("address", ""),
            "note": values.get("note", ""),
            **dates,
        }
        return fields, None

    def _location(self, values: dict, code: str):
        """(lon, lat, grid) in WGS84, or why not."""
        lon, lat = _coordinate(values["longitude"]), _coordinate(values["latitude"])
        if lon is None or lat is None:
            return _("The longitude and latitude (经度, 纬度) must be numbers in degrees.")
        if not in_china(lon, lat):
            if in_china(lat, lon):
                return _(
                    "Longitude and latitude seem swapped: %(lon)s, %(lat)s.",
                    lon=values["longitude"],
                    lat=values["latitude"],
                )
            return _("The point %(lon)s, %(lat)s is not in China.", lon=values["longitude"], lat=values["latitude"])
        lon, lat = (rounded(v) for v in to_wgs84(lon, lat, self.crs))
        grid = locate(lon, lat)
        if grid is None:
            return _(
                "The point %(lon)s, %(lat)s is outside every unit grid (check the coordinate system, or import "
                "the grids first).",
                lon=values["longitude"],
                lat=values["latitude"],
            )
        if code[:ADMIN_DIGITS] != grid.code[:ADMIN_DIGITS]:
            return _(
                "The ID %(code)s begins with %(prefix)s, but its point lies in grid %(grid)s of district %(district)s.",
                code=code,
                prefix=code[:ADMIN_DIGITS],
                grid=grid.code,
                district=grid.code[:ADMIN_DIGITS],
            )
        given = unicodedata.normalize("NFKC", values.get("grid", "")).strip()
        if given and given != grid.code and given not in same_grid_codes(grid.code):
            return _("The row says grid %(given)s, but its point lies in grid %(grid)s.", given=given, grid=grid.code)
        return lon, lat, grid


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
