"""A map of search results drawn as SVG on the server: no tile server, no script.

Points are placed with an equirectangular projection of the results' bounding
box (corrected by the cosine of the mean latitude, so that distances look
right at French latitudes). Each point is a link with a text title, and every
result is also in the list beside the map (the map is never the only way to
reach a result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, PADDING = 640, 480, 24


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    number: int
    label: str
    offer_id: int
    is_centre: bool = False


def project(rows, centre=None) -> list[MapPoint]:
    """SVG coordinates of the located rows (and of the search centre, drawn apart)."""
    located = [(i, r) for i, r in enumerate(rows, start=1) if r.latitude is not None and r.longitude is not None]
    coords = [(r.latitude, r.longitude) for _i, r in located]
    if centre is not None:
        coords.append((centre.latitude, centre.longitude))
    if not coords:
        return []
    min_lat, max_lat = min(c[0] for c in coords), max(c[0] for c in coords)
    min_lon, max_lon = min(c[1] for c in coords), max(c[1] for c in coords)
    x_scale = math.cos(math.radians((min_lat + max_lat) / 2))
    span = max((max_lon - min_lon) * x_scale, max_lat - min_lat, 1e-6)
    scale = min(WIDTH, HEIGHT) - 2 * PADDING

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = PADDING + (lon - min_lon) * x_scale / span * scale
        y = HEIGHT - PADDING - (lat - min_lat) / span * scale
        return round(x, 1), round(y, 1)

    points = [MapPoint(*xy(r.latitude, r.longitude), i, r.name, r.pk) for i, r in located]
    if centre is not None:
        points.append(MapPoint(*xy(centre.latitude, centre.longitude), 0, "", 0, is_centre=True))
    return points
