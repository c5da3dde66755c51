"""Coordinates and codes of the FINESS extraction."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrs.directory.importers import geo
from enrs.directory.importers.base import LineRejected
from enrs.directory.importers.finess import category_kind, commune_insee, split_routing_line

# Lambert-93 (EPSG:2154): Lambert conformal conic, two standard parallels, GRS80.
A, F = 6378137.0, 1 / 298.257222101
E = math.sqrt(2 * F - F * F)
PHI1, PHI2, PHI0, LAMBDA0 = (math.radians(d) for d in (44.0, 49.0, 46.5, 3.0))
X0, Y0 = 700000.0, 6600000.0


def _m(phi):
    return math.cos(phi) / math.sqrt(1 - (E * math.sin(phi)) ** 2)


def _t(phi):
    return math.tan(math.pi / 4 - phi / 2) / ((1 - E * math.sin(phi)) / (1 + E * math.sin(phi))) ** (E / 2)


def lambert93_inverse(x: float, y: float) -> tuple[float, float]:
    """Independent reference: the closed-form inverse of Snyder, *Map Projections*, §15 (no pyproj)."""
    n = (math.log(_m(PHI1)) - math.log(_m(PHI2))) / (math.log(_t(PHI1)) - math.log(_t(PHI2)))
    big_f = _m(PHI1) / (n * _t(PHI1) ** n)
    rho0 = A * big_f * _t(PHI0) ** n
    dx, dy = x - X0, rho0 - (y - Y0)
    rho = math.copysign(math.hypot(dx, dy), n)
    t = (rho / (A * big_f)) ** (1 / n)
    theta = math.atan2(dx, dy)
    phi = math.pi / 2 - 2 * math.atan(t)
    for _ in range(20):
        phi = math.pi / 2 - 2 * math.atan(t * ((1 - E * math.sin(phi)) / (1 + E * math.sin(phi))) ** (E / 2))
    return math.degrees(theta / n + LAMBDA0), math.degrees(phi)


def test_projection_origin_is_3_east_46_5_north():
    longitude, latitude = geo.to_wgs84(700000, 6600000)
    assert longitude == pytest.approx(3.0, abs=1e-9) and latitude == pytest.approx(46.5, abs=1e-9)


def test_known_point_in_caen():
    longitude, latitude = geo.to_wgs84(454302.8, 6903373.6)
    assert longitude == pytest.approx(-0.3707, abs=1e-5) and latitude == pytest.approx(49.1829, abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(100000, 1200000), y=st.floats(6100000, 7100000))
def test_conversion_matches_the_closed_form_within_1e_5_degree(x, y):
    longitude, latitude = geo.to_wgs84(x, y)
    ref_longitude, ref_latitude = lambert93_inverse(x, y)
    assert abs(longitude - ref_longitude) < 1e-5 and abs(latitude - ref_latitude) < 1e-5


def test_the_transformer_is_built_once():
    assert geo.transformer(2154) is geo.transformer(2154)


@pytest.mark.parametrize("x, y", [(1e11, 1e11), (-5e6, 6600000), (float("inf"), 6600000), (float("nan"), 1.0)])
def test_points_outside_the_projection_area_are_refused(x, y):
    with pytest.raises(geo.OutOfArea):
        geo.to_wgs84(x, y)


def test_projection_named_by_sourcecoordet():
    assert geo.projection_of("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N20") == "UTM_N20"
    assert geo.projection_of("") == geo.LAMBERT_93


@pytest.mark.parametrize(
    "departement, commune, expected",
    [("14", "118", "14118"), ("1", "53", "01053"), ("2A", "4", "2A004"), ("2B", "033", "2B033"),
     ("9A", "101", "97101"), ("9D", "411", "97411"), ("9F", "606", "97606"), ("9J", "613", "98613"), ("14", "", "")],
)
def test_commune_insee_from_finess_codes(departement, commune, expected):
    assert commune_insee(departement, commune) == expected


def test_unknown_departement_code_rejects_the_line():
    with pytest.raises(LineRejected) as caught:
        commune_insee("ZZ", "001")
    assert caught.value.field == "departement" and "ZZ" in caught.value.reason


def test_category_table_and_routing_line():
    assert [category_kind(code) for code in ("101", "355", "365", "500", "354", "255", "603", "620", "611", "124", "999")] == [
        "CHU", "CH", "CLINIQUE", "EHPAD", "SSIAD", "MAS", "MSP", "PHARMACIE", "LABO", "CDS", "AUTRE"]
    assert split_routing_line("14033 CAEN CEDEX 9") == ("14033", "CAEN")
    assert split_routing_line("BP 12") == ("", "BP 12")
