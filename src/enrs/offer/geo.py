"""Distances on the WGS84 sphere approximation, the same way on every database.

A point is stored with its unit vector ``(ux, uy, uz)``. Two points are within
``r`` km exactly when the dot product of their vectors is at least
``cos(r / EARTH_RADIUS_KM)`` (the great-circle distance is ``R·acos(u·v)``), so
the radius test is plain arithmetic in SQL, after a bounding-box prefilter on
the indexed latitude and longitude. The haversine formula gives the distance
shown to the user; tests check both agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARTH_RADIUS_KM = 6371.0088
MAX_RADIUS_KM = 500.0


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def check_coordinates(latitude, longitude, field_prefix: str = "") -> Point | None:
    """A valid WGS84 point, None when both are absent; a French error otherwise."""
    if latitude in (None, "") and longitude in (None, ""):
        return None
    errors = {}
    values = {}
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[field_prefix + name] = [_("Nombre attendu.")]
            continue
        if not math.isfinite(number) or not -bound <= number <= bound:
            errors[field_prefix + name] = [
                _("Coordonnée hors limites : %(value)s (entre -%(bound)d et %(bound)d).") % {"value": value, "bound": bound}
            ]
        values[name] = number
    if not errors and len(values) < 2:
        errors[field_prefix + "latitude"] = [_("Latitude et longitude vont ensemble.")]
    if errors:
        raise ValidationError(errors)
    return Point(values["latitude"], values["longitude"])


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def haversine_km(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def min_dot(radius_km: float) -> float:
    return math.cos(radius_km / EARTH_RADIUS_KM)


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def bounding_box(centre: Point, radius_km: float) -> Box:
    """A latitude/longitude box containing every point within ``radius_km`` (never too small)."""
    delta_lat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = centre.latitude - delta_lat, centre.latitude + delta_lat
    if min_lat <= -90 or max_lat >= 90:
        return Box(max(min_lat, -90), min(max_lat, 90), -180, 180)
    # The widest longitude span is at the latitude farthest from the equator.
    widest = max(abs(min_lat), abs(max_lat))
    delta_lon = math.degrees(math.asin(min(1.0, math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(widest)))))
    # A box crossing the antimeridian is widened to every longitude (never the case in France).
    if centre.longitude - delta_lon < -180 or centre.longitude + delta_lon > 180:
        return Box(min_lat, max_lat, -180, 180)
    return Box(min_lat, max_lat, centre.longitude - delta_lon, centre.longitude + delta_lon)
