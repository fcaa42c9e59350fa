"""Point-in-grid lookups at scale: generate 10,000 unit grids (a perturbed lattice of about 100 m cells with
two-cell grids and grids with holes), build the index core.grids.index uses (an STRtree of prepared polygons),
and time lookups of the same random points against a brute-force scan (shapely `contains` on every polygon
in a Python loop). Then, unless --no-db, import the grids into a fresh SQLite database with the real
importer and time `core.grids.index.locate` end to end (index freshness check and the Area it returns).

    .venv/bin/python bench/grids.py [--grids 10000] [--points 2000] [--no-db] [--write-readme]

Seeded: the same arguments give the same grids and points. --write-readme puts the figures under the
"Grids" heading of bench/README.md (re-read just before writing; other sections are left alone)."""

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402
import shapely  # noqa: E402

from app import create_app  # noqa: E402
from core import db as dbmod  # noqa: E402
from core.areas import Area  # noqa: E402
from core.grids.demo import DEMO_CENTRE, Lattice  # noqa: E402
from core.grids.geo import geometry_text  # noqa: E402
from core.grids.importer import import_file  # noqa: E402
from core.grids.index import GridIndex, locate  # noqa: E402

SEED = 20260501
HOLED = 50  # grids that are a ring of 8 cells around a grid of one cell
GRIDS_PER_COMMUNITY = 10


def tiling(count: int, seed: int = SEED) -> list:
    """`count` grids tiling a rectangle without gaps or overlaps: single cells, pairs of neighbouring
    cells (an irregular shape once merged) and rings of eight cells around a one-cell grid (a hole)."""
    rng = random.Random(seed)
    # Enough cells for the rings, about one pair per 15 grids and the singles; merge pairs until `count`.
    holed = min(HOLED, count // 20)
    pairs = count // 15
    cells_needed = count + pairs + holed * 7
    rows = max(3, int(math.sqrt(cells_needed / 1.1)))
    cols = math.ceil(cells_needed / rows)
    lattice = Lattice(DEMO_CENTRE, cols, rows, seed=seed)
    free = {(i, j) for i in range(cols) for j in range(rows)}
    groups = []
    while len(groups) < 2 * holed:
        i, j = rng.randrange(cols - 2), rng.randrange(rows - 2)
        block = {(i + di, j + dj) for di in range(3) for dj in range(3)}
        if block <= free:
            free -= block
            groups.append(sorted(block - {(i + 1, j + 1)}))
            groups.append([(i + 1, j + 1)])
    merges = len(free) + len(groups) - count
    while merges > 0:
        order = sorted(free)
        rng.shuffle(order)
        for i, j in order:
            neighbour = rng.choice([(i + 1, j), (i, j + 1), (i - 1, j), (i, j - 1)])
            if merges > 0 and (i, j) in free and neighbour in free:
                free -= {(i, j), neighbour}
                groups.append([(i, j), neighbour])
                merges -= 1
    groups += [[cell] for cell in sorted(free)]
    shapes = [shapely.orient_polygons(lattice.shape(cells)) for cells in groups]
    # Code order = north to south, west to east by each grid's first point.
    shapes.sort(key=lambda g: (-round(g.representative_point().y, 4), g.representative_point().x))
    return shapes


def codes_for(count: int) -> list[str]:
    """15-digit codes: district 430602, streets of 50 communities of GRIDS_PER_COMMUNITY grids."""
    codes = []
    for n in range(count):
        community, grid = divmod(n, GRIDS_PER_COMMUNITY)
        street, community = divmod(community, 50)
        codes.append(f"430602{street + 1:03d}{community + 1:03d}{grid + 1:03d}")
    return codes


def random_points(shapes, n: int, seed: int = SEED) -> list[tuple[float, float]]:
    west, south, east, north = np.array([g.bounds for g in shapes]).T
    box = (west.min(), south.min(), east.max(), north.max())
    rng = random.Random(seed + 1)
    margin = 0.02 * (box[2] - box[0])  # some points fall outside every grid
    return [
        (rng.uniform(box[0] - margin, box[2] + margin), rng.uniform(box[1] - margin, box[3] + margin)) for _ in range(n)
    ]


def timed(fn, points) -> tuple[float, list]:
    started = time.perf_counter()
    answers = [fn(lon, lat) for lon, lat in points]
    return time.perf_counter() - started, answers


def brute_force(shapes, codes):
    plain = [shapely.from_wkb(shapely.to_wkb(g)) for g in shapes]  # unprepared copies

    def find(lon, lat):
        point = shapely.Point(lon, lat)
        for code, polygon in zip(codes, plain, strict=True):
            if polygon.contains(point):
                return code
        return None

    return find


def with_database(shapes, codes, points) -> dict:
    """Import the grids with the real importer into a fresh SQLite database and time locate()."""
    with tempfile.TemporaryDirectory(prefix="xiuhua-bench-grids-") as name:
        figures = _import_and_locate(Path(name), shapes, codes, points)
        if not dbmod.db.is_closed():
            dbmod.db.close()
    return figures


def _import_and_locate(folder: Path, shapes, codes, points) -> dict:
    app = create_app(
        {
            "SECRET_KEY": "bench-" * 8,
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "INSTANCE_PATH": str(folder),
            "SCHEDULER_ENABLED": False,
        }
    )
    dbmod.upgrade(app)
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": f"网格{code[-6:]}"},
            "geometry": json.loads(geometry_text(g)),
        }
        for code, g in zip(codes, shapes, strict=True)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    figures = {"file_mb": len(data) / 2**20}
    with app.app_context(), dbmod.db.connection_context():
        district = Area.create(code="430602", name="岳阳楼区", level="district")
        streets = {}
        for code in sorted({c[:12] for c in codes}):
            if code[:9] not in streets:
                streets[code[:9]] = Area.create(code=code[:9], name=f"街道{code[6:9]}", level="street", parent=district)
            Area.create(code=code, name=f"社区{code[9:12]}", level="community", parent=streets[code[:9]])
        started = time.perf_counter()
        result = import_file(data, "bench.geojson", crs="wgs84", valid_from=date(2026, 1, 1))
        figures["import_s"] = time.perf_counter() - started
        assert result.written and not result.errors, result.errors[:5]
        started = time.perf_counter()
        again = import_file(data, "bench.geojson", crs="wgs84", valid_from=date(2026, 1, 2))
        figures["reimport_s"] = time.perf_counter() - started
        assert again.counts["unchanged"] == len(codes)
        started = time.perf_counter()
        locate(*points[0])  # builds the index from the database
        figures["db_build_s"] = time.perf_counter() - started
        seconds, answers = timed(lambda lon, lat: locate(lon, lat), points)
        figures["locate_s"] = seconds
        figures["locate_answers"] = [a.code if a else None for a in answers]
    return figures


def section(args, figures) -> str:
    per = figures["index_s"] / args.points
    brute = figures["brute_s"] / args.points
    lines = [
        "## Grids",
        "",
        "`bench/grids.py`: point-in-grid lookups (`core.grids.index.locate`) against a brute-force scan, same run, same "
        "points.",
        "",
        f"    .venv/bin/python bench/grids.py --grids {args.grids} --points {args.points}",
        "",
        f"- {args.grids:,} unit grids on a perturbed lattice of about 100 m cells (single cells, two-cell grids, "
        f"{min(HOLED, args.grids // 20)} grids with a hole filled by another grid), {args.points:,} random points "
        "over their bounding box plus a 2 % margin (some fall outside every grid).",
        f"- Index build (STRtree of prepared polygons): {figures['build_s'] * 1000:,.0f} ms.",
        f"- Index lookups: **{1 / per:,.0f} per second** ({per * 1e6:,.1f} µs each).",
        f"- Brute force (`polygon.contains(point)` on the polygons in a Python loop, stopping at the first that "
        f"contains the point; points outside every grid test all {args.grids:,}): {1 / brute:,.1f} per second "
        f"({brute * 1000:,.2f} ms each).",
        f"- **Ratio: the index is {brute / per:,.0f}× faster.** Both gave the same grid for all "
        f"{figures['agreed']:,} points.",
    ]
    if "locate_s" in figures:
        locate_per = figures["locate_s"] / args.points
        lines += [
            f"- `core.grids.index.locate()` end to end on SQLite (freshness check at most once a second, returns an "
            f"Area without a query): **{1 / locate_per:,.0f} per second** ({locate_per * 1e6:,.1f} µs each); "
            f"building its index from the database: {figures['db_build_s'] * 1000:,.0f} ms.",
            f"- Importing the {figures['file_mb']:.1f} MB GeoJSON file with `core.grids.importer.import_file` (every "
            f"check, overlaps included): {figures['import_s']:.1f} s; importing it again (all unchanged): "
            f"{figures['reimport_s']:.1f} s.",
        ]
    lines += [
        "",
        f"Measured on {figures['machine']}. Single-threaded; figures move by ±25 % from run to run on a shared "
        "machine.",
        "",
    ]
    return "\n".join(lines)


def write_readme(text: str):
    path = HERE / "README.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"  # re-read right now
    lines = current.splitlines(keepends=True)
    start = next((k for k, line in enumerate(lines) if line.strip() == "## Grids"), None)
    if start is None:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
        updated = "".join(lines[:start]) + text + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
    path.write_text(updated, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--no-db", action="store_true", help="skip the import and the end-to-end locate()")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    shapes = tiling(args.grids)
    codes = codes_for(len(shapes))
    print(f"{len(shapes):,} grids generated in {time.perf_counter() - started:.1f} s")
    assert all(shapely.is_valid(shapes)), "the generator made an invalid polygon"
    points = random_points(shapes, args.points)

    figures = {}
    started = time.perf_counter()
    index = GridIndex(shapes, codes)
    figures["build_s"] = time.perf_counter() - started
    figures["index_s"], fast = timed(index.find, points)
    figures["brute_s"], slow = timed(brute_force(shapes, codes), points)
    # Brute force uses `contains` (interior only) and stops at the first polygon; the index takes boundary
    # points too and prefers the smallest code: random points never land on a boundary, so they agree.
    assert fast == slow, [(p, a, b) for p, a, b in zip(points, fast, slow, strict=True) if a != b][:5]
    figures["agreed"] = len(points)
    inside = sum(answer is not None for answer in fast)
    print(f"index built in {figures['build_s'] * 1000:.0f} ms; {inside:,} of {len(points):,} points inside a grid")
    per, brute = figures["index_s"] / len(points), figures["brute_s"] / len(points)
    print(f"index:       {1 / per:12,.0f} lookups/s  ({per * 1e6:8.1f} µs each)")
    print(f"brute force: {1 / brute:12,.1f} lookups/s  ({brute * 1e6:8.1f} µs each)")
    print(f"ratio:       {brute / per:12,.0f}×")
    if not args.no_db:
        figures.update(with_database(shapes, codes, points))
        assert figures.pop("locate_answers") == fast, "locate() and the index disagree"
        locate_per = figures["locate_s"] / len(points)
        print(f"locate():    {1 / locate_per:12,.0f} lookups/s  ({locate_per * 1e6:8.1f} µs each, SQLite, end to end)")
        print(
            f"import of {figures['file_mb']:.1f} MB: {figures['import_s']:.1f} s, again (unchanged) {figures['reimport_s']:.1f} s"
        )
    figures["machine"] = (
        f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string})"
    )
    if args.write_readme:
        write_readme(section(args, figures))
        print("bench/README.md: Grids section written")


if __name__ == "__main__":
    main()
