"""Demo helpers of the maps: random points inside a grid's shape (core/workorders/demo_locations.py
places the demo cases with them)."""

import random

import numpy as np
import shapely


def points_in(geom, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """`count` random points (lon, lat) inside a shapely geometry, drawn from `rng`."""
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    found: list[tuple[float, float]] = []
    generator = np.random.default_rng(rng.randrange(2**32))
    while len(found) < count:
        lons = generator.uniform(min_lon, max_lon, count * 2)
        lats = generator.uniform(min_lat, max_lat, count * 2)
        inside = shapely.contains_xy(geom, lons, lats)
        found += list(zip(lons[inside].tolist(), lats[inside].tolist(), strict=True))
        if not inside.any():  # a sliver: its representative point will do
            p = geom.representative_point()
            found += [(p.x, p.y)] * count
    return found[:count]
