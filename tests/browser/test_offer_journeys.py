"""Journeys through the care-offer search in a real browser: a professional looking
for tele-expertise in pain medicine within 50 km, and a member of the public on TODS."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.offer import services

# Transactional so that the live server thread sees the rows the test creates.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-1"
SITES = [
    ("14000711", "CHU de Caen Normandie", "14118", "Caen", "49.1829", "-0.3707"),
    ("76000712", "CHU de Rouen", "76540", "Rouen", "49.4432", "1.0999"),
]


@pytest.fixture
def offers(service_catalogue):
    services.load_communes([{"insee": "14118", "name": "Caen", "postal_code": "14000", "latitude": 49.1829, "longitude": -0.3707},
                            {"insee": "14047", "name": "Bayeux", "postal_code": "14400", "latitude": 49.2764, "longitude": -0.7024}])
    made = {}
    for prefix, name, insee, city, lat, lon in SITES:
        organisation = directory.upsert_organisation(
            {"finess": finess_complete(prefix), "finess_kind": "ET", "name": name, "kind": "CHU", "commune_insee": insee,
             "city": city, "latitude": Decimal(lat), "longitude": Decimal(lon)}).obj
        place = services.upsert_place({"identifier": f"LIEU-{prefix}", "name": f"Site de {city}", "establishment": organisation}).obj
        services.upsert_offer({
            "identifier": f"DOUL-{prefix}", "name": f"Consultation douleur chronique — {city}", "establishment": organisation,
            "place": place.identifier, "activity": "004", "care_mode": "20", "publics": ["07"],
            "telehealth": [{"kind": "teleexpertise", "channel": "plateforme", "address": f"https://telemedecine.example.invalid/{city.lower()}",
                            "instructions": "Joindre le dernier compte rendu."}],
        })
        services.upsert_offer({"identifier": f"CARDIO-{prefix}", "name": f"Hospitalisation de cardiologie — {city}",
                               "establishment": organisation, "place": place.identifier, "activity": "013", "care_mode": "28",
                               "publics": ["07"]})
        services.update_capacity(place, {"capacity_type": "01", "status": "02", "count": 4, "source_type": "SAISIE"})
        made[city] = organisation
    professional = directory.upsert_professional(
        {"rpps": luhn_complete("1000007711"), "first_name": "Claire", "last_name": "Vasseur", "profession_code": "10"}).obj
    directory.upsert_situation(professional, made["Caen"], {"specialty_code": "SM54", "mode": "L"})
    user = User.objects.create_user(username="claire.vasseur@test.invalid", email="claire.vasseur@test.invalid", password=PASSWORD, kind="pro")
    directory.link_user(professional, user)
    return made


def test_professional_finds_pain_tele_expertise_within_50_km(live_server, page, offers, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    page.goto(live_server.url + "/comptes/login/?next=/offre/")
    page.get_by_label("Adresse e-mail").fill("claire.vasseur@test.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + "/offre/")

    page.get_by_label("Que cherchez-vous ?").fill("douleur")
    page.get_by_label("Autour de la commune").fill("Bayeux")
    page.get_by_label("Distance").select_option("50")
    page.get_by_text("Filtres").click()
    page.get_by_label("Télésanté").select_option("teleexpertise")
    page.get_by_role("main").get_by_role("button", name="Rechercher").click()

    status = page.locator("#search-status")
    expect(status).to_contain_text("1 offre trouvée")
    expect(status).to_contain_text("à moins de 50 km de Bayeux")
    results = page.locator(".offer-results")
    expect(results.get_by_role("link", name="Consultation douleur chronique — Caen")).to_be_visible()
    expect(results).not_to_contain_text("Rouen")  # about 150 km away
    expect(results.locator(".offer-distance")).to_have_text(re.compile(r"^2\d,\d km$"))  # Bayeux → Caen ≈ 27 km

    results.get_by_role("link", name="Consultation douleur chronique — Caen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultation douleur chronique — Caen")
    expect(page.get_by_text("https://telemedecine.example.invalid/caen")).to_be_visible()  # how to request it
    assert page.csp_violations == []


def test_member_of_the_public_searches_tods_and_sees_the_map(live_server, page, offers):
    page.goto(live_server.url + "/tods/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver une offre de soins")
    page.get_by_label("Que cherchez-vous ?").fill("CARDIOLOGIE")
    page.get_by_role("main").get_by_role("button", name="Rechercher").click()
    expect(page.locator("#search-status")).to_contain_text("2 offres trouvées")
    expect(page.locator('[data-facet="departement:14"]')).to_have_text("(1)")
    page.locator(".offer-facet").get_by_role("link", name="14", exact=True).click()  # narrow to the Calvados
    expect(page.locator("#search-status")).to_contain_text("1 offre trouvée")

    page.get_by_role("link", name="Voir ces résultats sur une carte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carte des offres de soins")
    expect(page.get_by_role("img", name="Carte des résultats")).to_be_visible()
    expect(page.locator(".offer-map__point")).to_have_count(1)
    expect(page.locator(".offer-results").get_by_role("link", name="Hospitalisation de cardiologie — Caen")).to_be_visible()
    # The public does not get the tele-expertise request channel.
    page.goto(live_server.url + "/tods/?q=douleur+caen")
    page.locator(".offer-results").get_by_role("link").first.click()
    expect(page.get_by_text("La télé-expertise est demandée par votre médecin.")).to_be_visible()
    expect(page.get_by_text("https://telemedecine.example.invalid/caen")).to_have_count(0)
    assert page.csp_violations == []
