"""Projected coordinates of the FINESS extraction to WGS84 (EPSG:4326).

Metropolitan establishments are given in Lambert-93 (EPSG:2154); overseas ones
in the local UTM projection, named by the last item of ``sourcecoordet``
(e.g. ``1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93``). One pyproj
Transformer per projection is built on first use and reused for every line.
"""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import CRS, Transformer

LAMBERT_93 = "LAMBERT_93"
# Projection names of the FINESS extraction -> EPSG codes.
PROJECTIONS: dict[str, int] = {
    LAMBERT_93: 2154,  # RGF93 / Lambert-93, metropolitan France and Corsica
    "UTM_N20": 4559,  # RRAF 1991 / UTM 20N, Guadeloupe and Martinique
    "UTM_N21": 4467,  # RGSPM06 / UTM 21N, Saint-Pierre-et-Miquelon
    "UTM_N22": 2972,  # RGFG95 / UTM 22N, Guyane
    "UTM_S38": 4471,  # RGM04 / UTM 38S, Mayotte
    "UTM_S40": 2975,  # RGR92 / UTM 40S, La Réunion
}
# Tolerance around a projection's area of use, in degrees.
AREA_MARGIN = 0.5


class OutOfArea(ValueError):
    """The converted point lies outside the area the projection is defined for."""


@lru_cache(maxsize=None)
def transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


@lru_cache(maxsize=None)
def _area(epsg: int) -> tuple[float, float, float, float]:
    return CRS.from_epsg(epsg).area_of_use.bounds  # west, south, east, north


def projection_of(source: str) -> str:
    """Projection named by ``sourcecoordet`` (its last comma-separated item)."""
    return source.rsplit(",", 1)[-1].strip().upper() if source.strip() else LAMBERT_93


def to_wgs84(x: float, y: float, epsg: int = 2154) -> tuple[float, float]:
    """Return ``(longitude, latitude)``; raise OutOfArea for points the projection does not cover."""
    longitude, latitude = transformer(epsg).transform(x, y)
    west, south, east, north = _area(epsg)
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        raise OutOfArea(f"{x}, {y}")
    if not (west - AREA_MARGIN <= longitude <= east + AREA_MARGIN and south - AREA_MARGIN <= latitude <= north + AREA_MARGIN):
        raise OutOfArea(f"{x}, {y}")
    return longitude, latitude
