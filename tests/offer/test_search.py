"""Search semantics: criteria, full text (accents, stemming), radius and facets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from enrs.offer import geo, selectors, text
from enrs.offer.selectors import OfferCriteria

CAEN = geo.Point(49.1829, -0.3707)


def identifiers(criteria: OfferCriteria) -> list[str]:
    return [row.identifier for row in selectors.search(criteria).rows]


@pytest.mark.django_db
def test_text_search_ignores_accents_case_and_plural(region):
    expected = {"OFF-DOUL-CAEN", "OFF-DOUL-ROUEN", "OFF-DOUL-CHERBOURG"}
    for query in ("douleur", "DOULEURS", "Douleur", "la douleur"):
        assert set(identifiers(OfferCriteria(query=query))) == expected, query
    # Stemming: "pédiatrie" finds "Urgences pédiatriques" (stem pediatr), with or without accents.
    assert identifiers(OfferCriteria(query="pediatrie")) == ["OFF-PED-CAEN"]
    assert identifiers(OfferCriteria(query="PÉDIATRIQUE")) == ["OFF-PED-CAEN"]
    # Every word must match: an establishment word narrows the result.
    assert identifiers(OfferCriteria(query="douleur rouen")) == ["OFF-DOUL-ROUEN"]
    assert identifiers(OfferCriteria(query="douleur zzzz")) == []


def test_terms_are_folded_and_stemmed():
    assert text.terms("Les Douleurs chroniques de l'Épaule") == ["douleur", "chroniqu", "epaul"]
    assert text.terms("pédiatrie") == text.terms("PEDIATRIE") == text.terms("pédiatriques")[:1] == ["pediatr"]


@pytest.mark.django_db
def test_coded_criteria_combine(region):
    assert set(identifiers(OfferCriteria(activity="004", telehealth="teleexpertise"))) == {"OFF-DOUL-CAEN", "OFF-DOUL-ROUEN"}
    assert identifiers(OfferCriteria(care_mode="28", equipment="COR")) == ["OFF-CARDIO-BAYEUX"]
    assert identifiers(OfferCriteria(public="09")) == ["OFF-DOUL-CAEN"]
    assert identifiers(OfferCriteria(specialisation="PED", departement="14")) == ["OFF-PED-CAEN"]
    assert identifiers(OfferCriteria(specialisation="PED", departement="76")) == []


@pytest.mark.django_db
def test_radius_keeps_the_offers_within_the_circle_sorted_by_distance(region):
    result = selectors.search(OfferCriteria(activity="004", centre=CAEN, radius_km=50))
    assert [r.identifier for r in result.rows] == ["OFF-DOUL-CAEN"]
    wide = selectors.search(OfferCriteria(query="douleur", centre=CAEN, radius_km=150))
    names = [r.identifier for r in wide.rows]
    by_haversine = sorted(
        (o for o in region["offers"].values() if o.activity.code == "004"),
        key=lambda o: geo.haversine_km(CAEN, geo.Point(o.latitude, o.longitude)),
    )
    assert names == [o.identifier for o in by_haversine] and names[0] == "OFF-DOUL-CAEN" and len(names) == 3
    distances = [r.distance_km for r in wide.rows]
    assert distances == sorted(distances) and distances[0] < 0.01
    assert wide.total == 3


@pytest.mark.django_db
def test_radius_agrees_with_haversine_for_every_offer(region):
    offers = [o for o in region["offers"].values()]
    for radius in (10, 30, 60, 104, 110, 120, 200):
        found = set(identifiers(OfferCriteria(centre=CAEN, radius_km=radius)))
        expected = {o.identifier for o in offers if geo.haversine_km(CAEN, geo.Point(o.latitude, o.longitude)) <= radius}
        assert found == expected, radius


@hsettings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=-80, max_value=80), st.floats(min_value=-179, max_value=179),
    st.floats(min_value=-1.5, max_value=1.5), st.floats(min_value=-1.5, max_value=1.5),
    st.floats(min_value=1, max_value=200),
)
def test_box_contains_the_circle_and_the_dot_test_matches_haversine(lat, lon, dlat, dlon, radius):
    # The other point's longitude is wrapped into [-180, 180): "179 + 1.5" is the point at -179.5.
    centre, other = geo.Point(lat, lon), geo.Point(max(-89.9, min(89.9, lat + dlat)), (lon + dlon + 180) % 360 - 180)
    distance = geo.haversine_km(centre, other)
    u, w = geo.unit_vector(centre.latitude, centre.longitude), geo.unit_vector(other.latitude, other.longitude)
    dot = sum(a * b for a, b in zip(u, w))
    if abs(distance - radius) > 1e-6:
        assert (dot >= geo.min_dot(radius)) == (distance <= radius)
    if distance <= radius:
        box = geo.bounding_box(centre, radius)
        assert box.min_lat <= other.latitude <= box.max_lat
        assert box.min_lon <= other.longitude <= box.max_lon


@pytest.mark.django_db
def test_facets_count_the_current_results(region):
    found = selectors.search(OfferCriteria(query="douleur")).facets
    assert {(v.code, v.count) for v in found.activity} == {("004", 3)}
    assert {(v.code, v.count) for v in found.public} == {("07", 3), ("09", 1)}
    assert {(v.code, v.count) for v in found.telehealth} == {("teleexpertise", 2)}
    assert {(v.code, v.count) for v in found.departement} == {("14", 1), ("50", 1), ("76", 1)}
    assert found.total == 3
    everything = selectors.search(OfferCriteria(departement="14")).facets
    assert {(v.code, v.count) for v in everything.care_mode} == {("20", 1), ("28", 1), ("33", 1)}


@pytest.mark.django_db
def test_commune_resolution_by_name_code_or_places(region):
    assert selectors.resolve_commune("caen").point == geo.Point(49.1829, -0.3707)
    assert selectors.resolve_commune("14047").label.startswith("Bayeux")
    assert selectors.resolve_commune("ALENCON").label.startswith("Alençon")
    # Not in the commune table but an offer place is there: the places' centre.
    assert selectors.resolve_commune("Cherbourg-en-Cotentin").point.latitude == pytest.approx(49.6337)
    assert selectors.resolve_commune("Nulle-Part") is None


@pytest.mark.django_db
def test_unknown_search_code_is_refused(region):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        selectors.search(OfferCriteria(activity="999"))
    assert "999" in str(info.value) and "activité opérationnelle" in str(info.value)
