"""The public geography file of the demo region."""

from __future__ import annotations

from decimal import Decimal

import pytest

from enrs.core import validators as v
from enrs.demo.geography import DEPARTEMENTS, commune_by_insee, commune_named, communes, of_commune


def test_file_has_forty_to_eighty_valid_communes_of_the_five_departements():
    rows = communes()
    assert 40 <= len(rows) <= 80
    assert {commune.departement for commune in rows} == set(DEPARTEMENTS)
    assert len({commune.insee for commune in rows}) == len(rows)
    for commune in rows:
        assert v.validate_insee_commune(commune.insee) == commune.insee
        assert v.validate_postal_code(commune.postal_code) == commune.postal_code
        # Postal codes of these communes all start with their département number.
        assert commune.postal_code[:2] == commune.departement
        # Normandy lies between 48.1°N and 50.1°N, 2°W and 1.9°E.
        assert Decimal("48.1") < commune.latitude < Decimal("50.1"), commune
        assert Decimal("-2.0") < commune.longitude < Decimal("1.9"), commune


@pytest.mark.parametrize(
    ("insee", "name"),
    [("14118", "Caen"), ("76540", "Rouen"), ("76351", "Le Havre"), ("50129", "Cherbourg-en-Cotentin"),
     ("50502", "Saint-Lô"), ("61001", "Alençon"), ("27229", "Évreux"), ("14366", "Lisieux")],
)
def test_prefectures_and_large_towns_have_their_official_codes(insee, name):
    assert commune_by_insee()[insee].name == name


def test_commune_named_raises_for_unknown_town():
    with pytest.raises(KeyError):
        commune_named("Paris")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Caen", "de Caen"), ("Évreux", "d'Évreux"), ("Le Havre", "du Havre"), ("Les Andelys", "des Andelys"),
     ("Alençon", "d'Alençon"), ("Honfleur", "de Honfleur"), ("L'Aigle", "de L'Aigle")],
)
def test_of_commune_elides_and_contracts(name, expected):
    assert of_commune(name) == expected
