"""Synthetic directory data for the FHIR tests, made through the directory services.

This directory has no ``__init__.py`` on purpose: a package named ``fhir``
would shadow the installed ``fhir.resources``. Module names are therefore
unique (``test_fhir_*``) and shared helpers live in ``fhirkit.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.directory.models import Organisation, PracticeSituation, Professional

def siret_complete(partial8: str, establishment: str = "0001") -> str:
    """A valid SIRET: Luhn SIREN, then Luhn over the 14 digits."""
    siren = luhn_complete(partial8)
    return luhn_complete(siren + establishment)


@dataclass
class Directory:
    chu: Organisation  # EJ, Caen
    nacre: Organisation  # ET of the CHU, Caen
    ch_saint_lo: Organisation  # EJ, Saint-Lô
    memorial: Organisation  # ET of CH Saint-Lô
    msp: Organisation  # no FINESS
    ehpad: Organisation  # inactive
    lefevre: Professional  # RPPS, DR
    martin: Professional  # ADELI
    durand: Professional  # RPPS, inactive
    role_nacre: PracticeSituation  # Lefèvre at Nacre, since 2020
    role_memorial: PracticeSituation  # Lefèvre at Mémorial, 2018-05 to 2019-12
    role_msp: PracticeSituation  # Martin at the MSP, no dates
    role_durand: PracticeSituation  # Durand at Nacre


def _org(**data) -> Organisation:
    return directory.upsert_organisation(data).obj


@pytest.fixture
def dirdata(db) -> Directory:
    chu = _org(
        finess=finess_complete("14000001"), finess_kind="EJ", name="CHU de Caen Normandie", short_name="CHU Caen",
        kind="CHU", siret=siret_complete("26140001"), address_line="Avenue de la Côte de Nacre", postal_code="14000",
        city="Caen", commune_insee="14118", phone="0231000000", category_code="101", category_label="Centre Hospitalier Régional",
    )
    nacre = _org(
        finess=finess_complete("14000002"), finess_kind="ET", name="Hôpital Côte de Nacre", kind="CHU", legal_entity=chu,
        postal_code="14000", city="Caen", commune_insee="14118",
    )
    ch_saint_lo = _org(
        finess=finess_complete("50000001"), finess_kind="EJ", name="Centre hospitalier de Saint-Lô", kind="CH",
        postal_code="50000", city="Saint-Lô", commune_insee="50502",
    )
    memorial = _org(
        finess=finess_complete("50000002"), finess_kind="ET", name="Centre hospitalier Mémorial d'Harcourt", kind="CH",
        legal_entity=ch_saint_lo, postal_code="50000", city="Saint-Lô", commune_insee="50502",
    )
    msp = _org(name="Maison de santé de l'Œuvre", kind="MSP", postal_code="14400", city="Bayeux", commune_insee="14047")
    ehpad = _org(finess=finess_complete("14000003"), finess_kind="ET", name="EHPAD Les Tilleuls", kind="EHPAD", city="Lisieux", active=False)
    lefevre = directory.upsert_professional(
        {"rpps": luhn_complete("1000000001"), "title": "DR", "last_name": "Lefèvre", "first_name": "Hélène",
         "profession_code": "10", "mssante_address": "helene.lefevre@chu-caen.mssante.fr"}
    ).obj
    martin = directory.upsert_professional(
        {"adeli": "141234567", "title": "M", "last_name": "Martin", "first_name": "Jean-Pierre", "profession_code": "60"}
    ).obj
    durand = directory.upsert_professional(
        {"rpps": luhn_complete("1000000002"), "last_name": "Durand", "first_name": "Zoé", "profession_code": "50", "active": False}
    ).obj
    role_nacre = directory.upsert_situation(
        lefevre, nacre, {"specialty_code": "SM54", "mode": "S", "start_date": dt.date(2020, 1, 1)}
    ).obj
    role_memorial = directory.upsert_situation(
        lefevre, memorial,
        {"specialty_code": "SM04", "mode": "L", "start_date": dt.date(2018, 5, 1), "end_date": dt.date(2019, 12, 31)},
    ).obj
    role_msp = directory.upsert_situation(martin, msp, {"mode": "L", "role_code": "FON-05", "role_label": "Titulaire"}).obj
    role_durand = directory.upsert_situation(durand, nacre, {"mode": "S", "active": False}).obj
    return Directory(chu, nacre, ch_saint_lo, memorial, msp, ehpad, lefevre, martin, durand, role_nacre, role_memorial,
                     role_msp, role_durand)
