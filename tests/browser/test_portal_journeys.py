"""Journeys through the portal in a real browser: professional, patient, phone."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from playwright.sync_api import expect

from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import Patient
from enrs.membership import services as membership
from enrs.membership.models import GeneralAssembly

# Transactional so that the live server thread sees the rows the test creates.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-1"
_numbers = itertools.count(300)


def _organisation(name: str, college: str):
    return directory.upsert_organisation(
        {"finess": finess_complete(f"14{next(_numbers):06d}"), "finess_kind": "ET", "name": name, "kind": "MSP",
         "college": college, "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}
    ).obj


def _professional(first: str, last: str, organisation):
    professional = directory.upsert_professional(
        {"rpps": luhn_complete(f"10{next(_numbers):08d}"), "first_name": first, "last_name": last, "profession_code": "10",
         "mssante_address": f"{first.lower()}.{last.lower()}@medecin.mssante.fr".replace("è", "e").replace("é", "e")}
    ).obj
    directory.upsert_situation(professional, organisation, {"specialty_code": "SM54", "mode": "L"})
    return professional


def _user(email: str, kind: str) -> User:
    return User.objects.create_user(username=email, email=email, password=PASSWORD, kind=kind)


@pytest.fixture
def region(service_catalogue):
    msp = _organisation("Maison de santé du Bocage", college="B")
    # A member of the agency, as the demo personas' structures are: its home shows the collège's services.
    membership.admit(membership.apply(msp, category="B", on=dt.date(2025, 1, 10)), GeneralAssembly.objects.create(
        date=dt.date(2025, 3, 17), title="Assemblée générale"))
    me = _professional("Julien", "Morel", msp)
    directory.link_user(me, _user("julien.morel@test.invalid", "pro"))
    colleague = _professional("Hélène", "Lefèvre", msp)
    patient_user = _user("camille.martin@test.invalid", "patient")
    Patient.objects.create(
        birth_name="MARTIN", birth_first_names="Camille", birth_date=dt.date(1984, 3, 12), sex="F", user=patient_user
    )
    return {"colleague": colleague}


def log_in(page, base_url: str, entry: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name=entry).click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def test_professional_logs_in_finds_a_colleague_and_opens_the_record(live_server, page, region, settings):
    # Forced TOTP enrolment has its own tests (tests/accounts); this journey is the portal.
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    log_in(page, live_server.url, "Accéder à l'espace professionnel", "julien.morel@test.invalid")
    expect(page).to_have_url(live_server.url + "/espace-pro/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Julien Morel")
    expect(page.get_by_text("Maison de santé du Bocage")).to_be_visible()
    # e-RDV is open to collège B (in whichever group its pack and build state put it); ORU is not.
    expect(page.locator('[data-service="erdv"]')).to_have_count(1)
    expect(page.locator('[data-service="oru"]')).to_have_count(0)  # collège A only

    page.get_by_role("link", name="Annuaire santé").click()
    expect(page).to_have_url(live_server.url + "/annuaire/")
    # Live search: typing is enough, htmx swaps the results in.
    page.get_by_label("Nom, commune ou numéro").press_sequentially("helene lef", delay=20)
    results = page.locator("#resultats")
    expect(results.get_by_role("link", name="Hélène Lefèvre")).to_be_visible()
    expect(page.locator("#search-status")).to_have_text("Résultats : 1 professionnel, aucune structure.")
    expect(page).to_have_url(re.compile(r"/annuaire/\?q=helene(\+|%20)lef&type=tout"))  # pushed to the history

    results.get_by_role("link", name="Hélène Lefèvre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hélène Lefèvre")
    expect(page.get_by_text(region["colleague"].rpps, exact=True)).to_be_visible()
    expect(page.get_by_text("helene.lefevre@medecin.mssante.fr")).to_be_visible()
    assert page.csp_violations == []


def test_patient_logs_in_and_sees_only_the_patient_space(live_server, page, region):
    log_in(page, live_server.url, "Accéder à l'espace patient", "camille.martin@test.invalid")
    expect(page).to_have_url(live_server.url + "/espace-patient/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Camille MARTIN")
    expect(page.get_by_text("12 mars 1984")).to_be_visible()
    expect(page.locator('[data-service="mes-rendez-vous"]')).to_have_count(1)
    expect(page.locator('[data-service="annuaire"]')).to_have_count(0)
    expect(page.get_by_text("Annuaire")).to_have_count(0)
    page.goto(live_server.url + "/espace-pro/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    assert page.csp_violations == []


@pytest.fixture
def context_options():
    return {"locale": "fr-FR", "viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


def _assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll on {page.url}: {widths}"


def test_phone_homes_have_no_horizontal_scroll(live_server, page, region, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    page.goto(live_server.url + "/")
    _assert_no_horizontal_scroll(page)
    log_in(page, live_server.url, "Accéder à l'espace professionnel", "julien.morel@test.invalid")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    _assert_no_horizontal_scroll(page)
    page.goto(live_server.url + "/annuaire/?q=lefevre")
    expect(page.locator("#resultats")).to_contain_text("Hélène Lefèvre")
    _assert_no_horizontal_scroll(page)
    assert page.csp_violations == []
