"""The demo city's shapes: unit grids, communities, streets and districts drawn on a perturbed lattice of
about 100 m cells around the source city's centre, without gaps or overlaps (the benchmark draws its grids
on the same lattice)."""

import math
import random
from datetime import date

import shapely

from core.areas import Area
from core.db import db
from core.grids.geo import geometry_text, metres_per_degree, rounded
from core.grids.importer import _shape_row
from core.grids.importer_checks import CHUNK, _chunks
from core.grids.index import bump_version, invalidate
from core.grids.models import GridShape

DEMO_CENTRE = (113.13, 29.37)  # lon, lat: the source city
DEMO_SINCE = date(2020, 1, 1)
CELL_M = 100.0


class Lattice:
    """Cells of about `cell_m` metres on a perturbed lattice: corner (i, j) (i eastwards, j northwards) moved
    by up to `jitter` of a cell, every edge bent at its middle. Neighbouring cells share every vertex, so
    any set of cells tiles without gaps or overlaps; coordinates are rounded as stored."""

    def __init__(self, centre, cols, rows, cell_m=CELL_M, jitter=0.18, seed=1):
        rng = random.Random(seed)
        per_lon, per_lat = metres_per_degree(centre[1])
        west = centre[0] - cols * cell_m / 2 / per_lon
        south = centre[1] - rows * cell_m / 2 / per_lat
        self.cols, self.rows = cols, rows

        def shake(scale):
            return rng.uniform(-scale, scale) * cell_m

        corners = {
            (i, j): (i * cell_m + shake(jitter), j * cell_m + shake(jitter))
            for i in range(cols + 1)
            for j in range(rows + 1)
        }

        def bend(a, b, across):
            (ax, ay), (bx, by) = corners[a], corners[b]
            dx, dy = (0.0, shake(jitter / 2)) if across == "y" else (shake(jitter / 2), 0.0)
            return (ax + bx) / 2 + dx, (ay + by) / 2 + dy

        def degrees(xy):
            return rounded(west + xy[0] / per_lon), rounded(south + xy[1] / per_lat)

        self.corner = {key: degrees(xy) for key, xy in corners.items()}
        self.south_mid = {  # the middle of the edge from corner (i, j) eastwards
            (i, j): degrees(bend((i, j), (i + 1, j), "y")) for i in range(cols) for j in range(rows + 1)
        }
        self.west_mid = {  # the middle of the edge from corner (i, j) northwards
            (i, j): degrees(bend((i, j), (i, j + 1), "x")) for i in range(cols + 1) for j in range(rows)
        }

    def cell(self, i, j):
        c, s, w = self.corner, self.south_mid, self.west_mid
        ring = [c[i, j], s[i, j], c[i + 1, j], w[i + 1, j], c[i + 1, j + 1], s[i, j + 1], c[i, j + 1], w[i, j], c[i, j]]
        return shapely.Polygon(ring)

    def shape(self, cells):
        """The union of cells given as (i, j)."""
        polygons = [self.cell(i, j) for i, j in cells]
        return polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)


# How a 4 × 2 block of cells (numbered 0-3 north row, 4-7 south row, west to east) is shared by n grids,
# each grid's cells in reading order so that grids are numbered west→east, then north→south.
BLOCK_SPLITS = {
    8: [[0], [1], [2], [3], [4], [5], [6], [7]],
    7: [[0], [1], [2], [3, 7], [4], [5], [6]],
    6: [[0, 4], [1], [2], [3, 7], [5], [6]],
    5: [[0, 4], [1, 2], [3, 7], [5], [6]],
    4: [[0, 4], [1, 2], [3, 7], [5, 6]],
}


def _community_cells(n: int) -> tuple[int, list[list[int]]]:
    """(rows of cells, each grid's cells as indexes in reading order of a 4-wide block)."""
    if n in BLOCK_SPLITS:
        return 2, BLOCK_SPLITS[n]
    rows = max(1, math.ceil(n / 4))
    split = [[k] for k in range(n)]
    split[-1] += list(range(n, 4 * rows))  # the last grid takes the rest of its row
    return rows, split


def _demo_layout(areas: list[Area]) -> dict[str, list[tuple[int, int]]]:
    """Unit-grid code → cells (column, row from the north) for the demo tree: communities are 4 cells wide,
    stacked in their street; streets three abreast in their district; districts in two columns."""
    children: dict[int | None, list[Area]] = {}
    for area in sorted(areas, key=lambda a: a.code):
        children.setdefault(area.parent_id, []).append(area)
    layout, columns = {}, [0, 0]  # the rows used so far in each column of districts
    for district in sorted((a for a in areas if a.level == "district"), key=lambda a: a.code):
        blocks = []  # per street: (height, [(community, rows, split)])
        for street in children.get(district.id, []):
            communities = []
            for community in children.get(street.id, []):
                rows, split = _community_cells(len(children.get(community.id, [])))
                communities.append((community, rows, split))
            blocks.append((sum(rows for _c, rows, _s in communities), communities))
        column = columns.index(min(columns))
        top = columns[column]
        for start in range(0, len(blocks), 3):
            band = blocks[start : start + 3]
            for k, (_height, communities) in enumerate(band):
                row = top
                for community, rows, split in communities:
                    grids_here = children.get(community.id, [])
                    for grid_area, cells in zip(grids_here, split, strict=False):
                        layout[grid_area.code] = [(column * 12 + k * 4 + c % 4, row + c // 4) for c in cells]
                    row += rows
            top += max((height for height, _c in band), default=0)
        columns[column] = top
    return layout


def demo_shapes(ctx) -> int:
    """Give the demo city's unit grids, communities, streets and districts outlines (a perturbed lattice
    of about 100 m cells around the source city's centre, without gaps or overlaps). Idempotent: areas
    that have a shape keep it. Returns the number of shapes created."""
    areas = list(ctx.areas.values())
    layout = _demo_layout(areas)
    if not layout:
        return 0
    rows = max(r for cells in layout.values() for _c, r in cells) + 1
    lattice = Lattice(DEMO_CENTRE, 24, rows, seed=20260501)
    shapes = {}
    for code, cells in layout.items():
        shapes[code] = lattice.shape([(col, rows - 1 - row) for col, row in cells])  # j grows northwards
    by_id = {a.id: a for a in areas}
    for level in ("community", "street", "district"):
        members: dict[str, list] = {}
        for area in areas:
            parent = by_id.get(area.parent_id)
            if area.code in shapes and parent is not None and parent.level == level:
                members.setdefault(parent.code, []).append(shapes[area.code])
        for code, parts in members.items():
            shapes[code] = shapely.union_all(parts)
    with_shape = {s.area_id for s in GridShape.select(GridShape.area)}
    new_rows = []
    for area in sorted(areas, key=lambda a: a.code):
        if area.code in shapes and area.id not in with_shape:
            geom = shapely.orient_polygons(shapes[area.code])
            new_rows.append(_shape_row(area.id, geom, geometry_text(geom), area.valid_from or DEMO_SINCE, "demo"))
    if new_rows:
        with db.atomic():
            for chunk in _chunks(new_rows, CHUNK // 12):
                GridShape.insert_many(chunk).execute()
            bump_version()
        invalidate()
    return len(new_rows)
