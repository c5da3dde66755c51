"""A small synthetic region for the care-offer tests: four establishments in
Normandy (real communes and their reference points), their places and offers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.offer import services

SITES = {
    # key: (FINESS prefix, name, INSEE, postal code, city, latitude, longitude)
    "caen": ("14000501", "CHU de Caen Normandie", "14118", "14000", "Caen", "49.1829", "-0.3707"),
    "bayeux": ("14000502", "Centre hospitalier de Bayeux", "14047", "14400", "Bayeux", "49.2764", "-0.7024"),
    "rouen": ("76000503", "CHU de Rouen", "76540", "76000", "Rouen", "49.4432", "1.0999"),
    "cherbourg": ("50000504", "Centre hospitalier du Cotentin", "50129", "50100", "Cherbourg-en-Cotentin", "49.6337", "-1.6222"),
}
COMMUNES = [
    {"insee": "14118", "name": "Caen", "postal_code": "14000", "latitude": 49.1829, "longitude": -0.3707},
    {"insee": "14047", "name": "Bayeux", "postal_code": "14400", "latitude": 49.2764, "longitude": -0.7024},
    {"insee": "76540", "name": "Rouen", "postal_code": "76000", "latitude": 49.4432, "longitude": 1.0999},
    {"insee": "14762", "name": "Vire Normandie", "postal_code": "14500", "latitude": 48.8386, "longitude": -0.8892},
    {"insee": "61001", "name": "Alençon", "postal_code": "61000", "latitude": 48.4329, "longitude": 0.0913},
]


def make_establishment(key: str):
    prefix, name, insee, postal, city, lat, lon = SITES[key]
    return directory.upsert_organisation(
        {"finess": finess_complete(prefix), "finess_kind": "ET", "name": name, "kind": "CH", "commune_insee": insee,
         "postal_code": postal, "city": city, "latitude": Decimal(lat), "longitude": Decimal(lon)}
    ).obj


def make_place(key: str, establishment, **extra):
    return services.upsert_place({"identifier": f"LIEU-{key}", "name": f"Bâtiment principal ({establishment.city})",
                                  "establishment": establishment, "function": "001", **extra}).obj


def make_offer(identifier: str, establishment, place, **data):
    payload = {"identifier": identifier, "name": identifier, "establishment": establishment, "place": place.identifier,
               "activity": "013", "care_mode": "20", "publics": ["07"], **data}
    return services.upsert_offer(payload).obj


@pytest.fixture(autouse=True)
def _fresh_codes():
    """Nomenclatures are cached per process; a test that reloads one is rolled back."""
    services.clear_code_cache()
    yield
    services.clear_code_cache()


@pytest.fixture
def region(db):
    services.load_communes(COMMUNES)
    establishments = {key: make_establishment(key) for key in SITES}
    places = {key: make_place(key, establishments[key]) for key in SITES}
    offers = {
        "douleur-caen": make_offer(
            "OFF-DOUL-CAEN", establishments["caen"], places["caen"], name="Consultation douleur chronique",
            activity="004", care_mode="20", specialisations=["DOUL-CHRON"], publics=["07", "09"],
            telehealth=[{"kind": "teleexpertise", "channel": "plateforme", "address": "https://telemedecine.example.invalid/douleur",
                         "instructions": "Joindre le dernier compte rendu.", "response_hours": 72}],
        ),
        "douleur-rouen": make_offer(
            "OFF-DOUL-ROUEN", establishments["rouen"], places["rouen"], name="Centre d'évaluation et de traitement de la douleur",
            activity="004", care_mode="20", publics=["07"],
            telehealth=[{"kind": "teleexpertise", "channel": "mssante", "address": "douleur@chu-rouen.mssante.invalid"}],
        ),
        "cardio-bayeux": make_offer(
            "OFF-CARDIO-BAYEUX", establishments["bayeux"], places["bayeux"], name="Hospitalisation de cardiologie",
            activity="013", care_mode="28", publics=["07"], equipment=["COR"],
        ),
        "pediatrie-caen": make_offer(
            "OFF-PED-CAEN", establishments["caen"], places["caen"], name="Urgences pédiatriques",
            activity="157", care_mode="33", publics=["07"], specialisations=["PED"],
            telehealth=[{"kind": "teleconsultation", "channel": "web", "address": "https://rdv.example.invalid"}],
        ),
        "douleur-cherbourg": make_offer(
            "OFF-DOUL-CHERBOURG", establishments["cherbourg"], places["cherbourg"], name="Consultation de la douleur",
            activity="004", care_mode="20", publics=["07"],
        ),
    }
    return {"establishments": establishments, "places": places, "offers": offers}
