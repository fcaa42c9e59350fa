"""Checking a grid file's features against the database: duplicates within the file, the area tree (every
grid's community must exist; a known code must be a unit grid under that community), dates of redrawn
shapes, then the shapes (inside their community's outline, no overlaps with each other or with the grids
already imported; gaps inside a community are warnings). Each check returns the features that passed as
steps for the importer to apply."""

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from flask_babel import gettext as _

from core.areas import LEVELS, Area
from core.grids.geo import TOLERANCE_M2, area_m2
from core.grids.importer_read import Feature
from core.grids.models import GridShape, same_grid_codes

CHUNK = 400  # rows per statement, well inside SQLite's limit on bound parameters


@dataclass
class _Step:
    feature: Feature
    area: Area | None  # None: a new grid
    community: Area
    current: GridShape | None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _areas_by_code(codes) -> dict[str, Area]:
    found = {}
    for chunk in _chunks(sorted(codes)):
        found.update({a.code: a for a in Area.select().where(Area.code.in_(chunk))})
    return found


def _current_shapes(area_ids) -> dict[int, GridShape]:
    found = {}
    for chunk in _chunks(sorted(area_ids)):
        query = GridShape.select().where(GridShape.area.in_(chunk) & GridShape.valid_to.is_null())
        found.update({s.area_id: s for s in query})
    return found


def _tree_problems(features: list[Feature], valid_from: date, errors: list) -> list[_Step]:
    """Duplicates, the area tree, dates. Returns the steps of the features without problems."""
    first_at: dict[str, Feature] = {}
    same_grid: dict[tuple[str, int], Feature] = {}
    areas = _areas_by_code({f.code for f in features} | {c for f in features for c in same_grid_codes(f.code)})
    communities = {
        a.code: a for a in _areas_by_code({f.community for f in features}).values() if a.level == "community"
    }
    shapes = _current_shapes([a.id for a in areas.values()])
    in_file = {f.code for f in features}
    steps = []
    for f in features:
        problem = None
        earlier = first_at.get(f.code) or same_grid.get((f.community, int(f.code[12:])))
        area, community = areas.get(f.code), communities.get(f.community)
        if earlier is not None and earlier.code == f.code:
            problem = _("The same code as feature %(n)d.", n=earlier.number)
        elif earlier is not None:
            problem = _(
                "The same unit grid as feature %(n)d (%(code)s): the 14- and 15-digit codes name one grid.",
                n=earlier.number,
                code=earlier.code,
            )
        elif community is None:
            problem = _(
                "Its community %(community)s (the first 12 digits) is not in the area tree. Add the district, "
                "street and community first: a grid file creates unit grids only.",
                community=f.community,
            )
        elif area is not None and area.level != "grid":
            problem = _(
                "%(code)s is in the area tree as a %(level)s, not a unit grid.",
                code=f.code,
                level=LEVELS.get(area.level, area.level),
            )
        elif area is not None and area.parent_id != community.id:
            problem = _(
                "%(code)s is in the area tree under another parent than community %(community)s.",
                code=f.code,
                community=f.community,
            )
        else:
            other = next((c for c in same_grid_codes(f.code) if c in areas and c not in in_file), None)
            current = shapes.get(area.id) if area is not None else None
            if other is not None:
                problem = _("This unit grid is already in the area tree as %(code)s; use that code.", code=other)
            elif current is not None and current.geometry != f.text and valid_from < current.valid_from:
                problem = _(
                    "Its current shape is valid since %(since)s; a new shape cannot start earlier (%(date)s).",
                    since=current.valid_from.isoformat(),
                    date=valid_from.isoformat(),
                )
            else:
                steps.append(_Step(f, area, community, current))
        first_at.setdefault(f.code, f)
        same_grid.setdefault((f.community, int(f.code[12:])), f)
        if problem:
            errors.append((f.number, f.code, problem))
    return steps


def _neighbours(steps: list[_Step]) -> list[tuple[object, Area, object]]:
    """(geometry, Area, community id) of the current unit-grid shapes the file does not replace, near the
    file's grids or in its communities."""
    if not steps:
        return []
    bounds = np.array([s.feature.geom.bounds for s in steps])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    replaced = {s.area.id for s in steps if s.area is not None}
    community_ids = sorted({s.community.id for s in steps})
    base = GridShape.select(GridShape, Area).join(Area).where(GridShape.valid_to.is_null() & (Area.level == "grid"))
    found = {}
    near = base.where(
        (GridShape.min_lon <= east)
        & (GridShape.max_lon >= west)
        & (GridShape.min_lat <= north)
        & (GridShape.max_lat >= south)
    )
    for shape in near:
        found[shape.area.id] = shape
    for chunk in _chunks(community_ids):
        for shape in base.where(Area.parent.in_(chunk)):
            found[shape.area.id] = shape
    return [
        (shapely.from_geojson(shape.geometry), shape.area, shape.area.parent_id)
        for area_id, shape in sorted(found.items())
        if area_id not in replaced
    ]


def _m2(value: float) -> str:
    return f"{value:,.1f}"


def _shape_problems(steps: list[_Step], errors: list, warnings: list) -> list[_Step]:
    """Grids outside their community's outline, overlaps (with each other and with the grids already in
    the database), and, when nothing else is wrong, gaps inside communities' outlines (warnings). Returns the
    steps without errors."""
    if not steps:
        return []
    community_ids = sorted({s.community.id for s in steps})
    outlines = {cid: shapely.from_geojson(s.geometry) for cid, s in _current_shapes(community_ids).items()}
    bad = {}
    for step in steps:
        outline = outlines.get(step.community.id)
        if outline is not None:
            spill = area_m2(step.feature.geom.difference(outline))
            if spill > TOLERANCE_M2:
                bad[step.feature.number] = _(
                    "%(m2)s m² of it lies outside its community %(community)s.",
                    m2=_m2(spill),
                    community=step.community.code,
                )
    others = _neighbours(steps)
    geoms = np.array([s.feature.geom for s in steps] + [g for g, _a, _c in others], dtype=object)
    pairs = shapely.STRtree(geoms).query(geoms[: len(steps)], predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]  # each pair once, not a grid with itself
    if pairs.shape[1]:
        pairs = pairs[:, shapely.relate_pattern(geoms[pairs[0]], geoms[pairs[1]], "T********")]  # inside meets
    for i, j in pairs.T:
        overlap = area_m2(shapely.intersection(geoms[i], geoms[j]))
        if overlap <= TOLERANCE_M2:
            continue
        if j < len(steps):
            first, later = steps[i].feature, steps[j].feature
            text = _(
                "It overlaps feature %(n)d (%(code)s) by %(m2)s m².", n=first.number, code=first.code, m2=_m2(overlap)
            )
            bad.setdefault(later.number, text)
        else:
            other = others[j - len(steps)][1]
            text = _(
                "It overlaps unit grid %(code)s %(name)s, already imported, by %(m2)s m².",
                code=other.code,
                name=other.name,
                m2=_m2(overlap),
            )
            bad.setdefault(steps[i].feature.number, text)
    for step in steps:
        if step.feature.number in bad:
            errors.append((step.feature.number, step.feature.code, bad[step.feature.number]))
    for cid, outline in sorted(outlines.items()) if not errors else ():  # gaps only matter in a clean file
        members = [s.feature.geom for s in steps if s.community.id == cid]
        members += [g for g, _a, parent in others if parent == cid]
        gap = outline.difference(shapely.union_all(members))
        if area_m2(gap) > TOLERANCE_M2:
            largest = max(getattr(gap, "geoms", [gap]), key=lambda part: part.area)
            point = largest.representative_point()
            community = next(s.community for s in steps if s.community.id == cid)
            warnings.append(
                (
                    None,
                    community.code,
                    _(
                        "%(m2)s m² of community %(code)s %(name)s is covered by no unit grid (for example near "
                        "%(pos)s).",
                        m2=_m2(area_m2(gap)),
                        code=community.code,
                        name=community.name,
                        pos=f"[{point.x:.6f}, {point.y:.6f}]",
                    ),
                )
            )
    return [s for s in steps if s.feature.number not in bad]
