"""Importing unit-grid shapes (GeoJSON): `import_file`, which reads (core/grids/importer_read.py), checks
(core/grids/importer_checks.py) and writes; and the background imports of the admin page.

An import reads a FeatureCollection of Polygon/MultiPolygon features with the properties `code` (15 digits,
or the legacy 14-digit CJ/T 213-2005 form) and `name`, in WGS84 or GCJ-02. A file that cannot be read at
all is refused whole (ImportFileError). Otherwise every feature is checked, then the file as a whole
(duplicates, the area tree, communities' outlines, overlaps and gaps); errors are listed by feature number
and code, and nothing is written unless there are none. Gaps are warnings: nothing is written unless they
are accepted. Everything is written in one transaction; re-importing the same file changes nothing.

What the import never does: create districts, streets or communities (a grid whose community is not in
the area tree is an error), remove grids that the file does not mention (a file may cover one community),
or rewrite a shape (a changed outline closes the current shape and adds one, see core/grids/__init__.py)."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit, background, clock, settings
from core.areas import Area
from core.db import db, is_sqlite
from core.grids.geo import CRS, area_m2
from core.grids.importer_checks import CHUNK, _areas_by_code, _chunks, _shape_problems, _Step, _tree_problems
from core.grids.importer_read import (
    MAX_BYTES,  # noqa: F401 (core.importing.pages reads it here, beside start and read_features)
    ImportFileError,
    _Bad,
    _raw_code,
    display_name,
    parse_feature,
    read_bytes,
    read_features,
)
from core.grids.index import VERSION_KEY, bump_version, invalidate
from core.grids.models import GridImport, GridShape
from core.settings import Setting


@dataclass
class ImportResult:
    filename: str
    crs: str
    valid_from: date
    total: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (feature, code, message)
    warnings: list[tuple[int | None, str, str]] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def line(self) -> str:
        return ", ".join(f"{n} {COUNT_WORDS[key]}" for key, n in self.counts.items())


COUNT_KEYS = ("created", "shaped", "redrawn", "renamed", "unchanged")
COUNT_WORDS = {
    "created": "new grids",
    "shaped": "first shapes",
    "redrawn": "redrawn",
    "renamed": "renamed",
    "unchanged": "unchanged",
}

# --- writing -----------------------------------------------------------------------------------------


def _count(steps: list[_Step], counts: dict):
    for step in steps:
        if step.area is None:
            counts["created"] += 1
        elif step.current is None:
            counts["shaped"] += 1
        elif step.current.geometry != step.feature.text:
            counts["redrawn"] += 1
        else:
            counts["unchanged"] += 1
        if step.area is not None and step.area.name != step.feature.name:
            counts["renamed"] += 1


def _shape_row(area_id: int, geom, text: str, valid_from: date, source: str) -> dict:
    west, south, east, north = geom.bounds
    return {
        "area": area_id,
        "geometry": text,
        "min_lon": west,
        "min_lat": south,
        "max_lon": east,
        "max_lat": north,
        "area_m2": round(area_m2(geom), 1),
        "valid_from": valid_from,
        "valid_to": None,
        "source": source[:255],
        "created_at": clock.now(),
    }


def _lock_version() -> str:
    """The shapes' version, locked until the transaction ends (PostgreSQL; SQLite's write lock is held
    from the transaction's start)."""
    query = Setting.select().where(Setting.key == VERSION_KEY)
    return (query if is_sqlite() else query.for_update()).get().value


def _write(steps: list[_Step], valid_from: date, source: str) -> bool:
    """Apply the steps; True when anything the lookup index holds changed (the version must move)."""
    new_areas = [
        {
            "code": s.feature.code,
            "name": s.feature.name,
            "level": "grid",
            "parent": s.community.id,
            "valid_from": valid_from,
        }
        for s in steps
        if s.area is None
    ]
    for chunk in _chunks(new_areas, CHUNK // 5):
        Area.insert_many(chunk).execute()
    created = _areas_by_code([row["code"] for row in new_areas])
    new_rows, closing, renamed = [], [], 0
    for step in steps:
        f = step.feature
        area = step.area or created[f.code]
        if step.area is not None and area.name != f.name:
            renamed += Area.update(name=f.name).where(Area.id == area.id).execute()
        if step.current is not None and step.current.geometry == f.text:
            continue
        if step.current is not None:
            closing.append(step.current.id)
        new_rows.append(_shape_row(area.id, f.geom, f.text, valid_from, source))
    for chunk in _chunks(closing):
        closed = (
            GridShape.update(valid_to=valid_from)
            .where(GridShape.id.in_(chunk) & GridShape.valid_to.is_null())
            .execute()
        )
        if closed != len(chunk):
            raise IntegrityError("a shape was closed by someone else")
    for chunk in _chunks(new_rows, CHUNK // 12):
        GridShape.insert_many(chunk).execute()
    return bool(new_areas or new_rows or renamed)


def import_file(
    source,
    filename,
    *,
    crs: str,
    valid_from: date | None = None,
    accept_warnings=False,
    dry_run=False,
    progress=None,
    user=None,
) -> ImportResult:
    """Import unit-grid shapes from a GeoJSON file (a path, a binary stream or bytes). Raises ImportFileError
    for a file that cannot be read at all. Problems are returned in `errors` (then nothing is written) and
    `warnings` (nothing is written unless `accept_warnings`). `dry_run` checks and counts, writes nothing.
    `progress(stage, done, total)` is called per feature ("checking"), then once before the database work
    ("database"). One transaction, one audit entry for every import that was written."""
    if crs not in CRS:
        raise ImportFileError(_("Unknown coordinate system %(crs)s: use wgs84 or gcj02.", crs=crs))
    filename = display_name(filename)
    valid_from = valid_from or clock.now().date()
    raw = read_features(read_bytes(source))
    result = ImportResult(filename, crs, valid_from, len(raw), dry_run=dry_run)
    planned_version = settings.get(VERSION_KEY, "")
    features = []
    for number, item in enumerate(raw, 1):
        try:
            features.append(parse_feature(number, item, crs))
        except _Bad as problem:
            result.errors.append((number, _raw_code(item), str(problem)))
        if progress:
            progress("checking", number, len(raw))
    result.legacy = [f.code for f in features if f.legacy]
    steps = _tree_problems(features, valid_from, result.errors)
    steps = _shape_problems(steps, result.errors, result.warnings)
    result.errors.sort(key=lambda e: e[0])
    _count(steps, result.counts)
    if progress:
        progress("database", result.total, result.total)
    if dry_run or result.errors or (result.warnings and not accept_warnings):
        return result
    Setting.insert(key=VERSION_KEY, value="").on_conflict_ignore().execute()  # a row to lock
    try:
        with db.atomic():
            if _lock_version() != planned_version:
                raise ImportFileError(
                    _(
                        "Another import changed the unit grids while this file was checked; nothing was written. Import it again."
                    )
                )
            if _write(steps, valid_from, filename):
                bump_version()
            audit.record(
                "grids.import",
                "grids",
                "",
                f"{filename} ({crs}, from {valid_from.isoformat()}): {result.line()}",
                after={
                    "file": filename,
                    "crs": crs,
                    "valid_from": valid_from.isoformat(),
                    "counts": result.counts,
                    "warnings": len(result.warnings),
                    "legacy_codes": result.legacy[:100],
                },
                actor=user,
            )
    except IntegrityError:
        raise ImportFileError(
            _("Someone changed the unit grids during the import; nothing was written. Import the file again.")
        ) from None
    invalidate()
    result.written = True
    return result


# --- background imports from the admin page ----------------------------------------------------------


def start(app, data: bytes, filename: str, *, crs, valid_from, accept_warnings, dry_run, user, locale) -> GridImport:
    """Record an import and run it in a background thread; the page polls the returned row."""
    return background.start(
        app, GridImport, data, locale, _work, filename=filename, crs=crs, valid_from=valid_from,
        accept_warnings=accept_warnings, dry_run=dry_run, user=user,
    )  # fmt: skip


def _work(job, data, user, progress) -> dict:
    try:
        result = import_file(
            data,
            job.filename,
            crs=job.crs,
            valid_from=job.valid_from,
            accept_warnings=job.accept_warnings,
            dry_run=job.dry_run,
            progress=progress,
            user=user,
        )
    except ImportFileError as error:
        return {"status": "failed", "error": str(error)}
    if result.written:
        status = "done"
    elif job.dry_run:
        status = "checked"
    else:
        status = "rejected" if result.errors else "warned"
    return {
        "status": status,
        "counts": result.counts,
        "total": result.total,
        "done": result.total,
        "errors": [list(e) for e in result.errors],
        "warnings": [list(w) for w in result.warnings],
        "legacy": result.legacy,
    }
