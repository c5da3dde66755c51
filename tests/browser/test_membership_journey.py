"""Membership journey in a real browser: an EHPAD applies online, an agency administrator
admits it at a general assembly, the EHPAD's account referent requests a quote for the
pack complémentaire and downloads the PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrs.access import services as access_services
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.membership.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mot-de-passe-solide-1"
EHPAD = "EHPAD Les Glycines de Synthèse"


@pytest.fixture
def catalogue_and_tariffs(service_catalogue):
    """Catalogue and tariffs are seeded by the migrations and put back after each flush (post_migrate)."""


@pytest.fixture
def people(catalogue_and_tariffs):
    ehpad = directory.upsert_organisation(
        {"finess": finess_complete("14077700"), "finess_kind": "ET", "name": EHPAD, "kind": "EHPAD",
         "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}
    ).obj
    referent = User.objects.create_user(username="ref", email="referente@test.invalid", password=PASSWORD, kind="pro",
                                        first_name="Inès", last_name="Synthèse")
    access_services.assign_role(referent, Role.ACCOUNT_REFERENT, organisation=ehpad)
    User.objects.create_user(username="agence", email="agence@test.invalid", password=PASSWORD, kind="agency")
    return ehpad


def log_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name="Accéder à l'espace professionnel").click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(base_url + "/espace-pro/")


def test_ehpad_applies_is_admitted_and_downloads_its_quote(live_server, browser, people, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    url = live_server.url
    referent_context, agency_context = browser.new_context(locale="fr-FR"), browser.new_context(locale="fr-FR")
    try:
        referent, agency = referent_context.new_page(), agency_context.new_page()

        # 1. The EHPAD's account referent applies online (collège C: social and medico-social).
        log_in(referent, url, "referente@test.invalid")
        referent.goto(url + "/adhesion/demande/")
        referent.get_by_label("Structure").select_option(label=f"{EHPAD} ({people.finess})")
        referent.get_by_label("Catégorie d'adhérent (collège)").select_option("C")
        referent.get_by_role("button", name="Envoyer la demande d'adhésion").click()
        expect(referent.get_by_role("heading", level=1)).to_have_text(EHPAD)
        expect(referent.locator("#member-status")).to_contain_text("Demande reçue")

        # 2. An agency administrator records the general assembly and admits the EHPAD.
        log_in(agency, url, "agence@test.invalid")
        agency.goto(url + "/adhesion/assemblees/")
        agency.get_by_label("Date").fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
        agency.get_by_label("Intitulé").fill("Assemblée générale d'automne")
        agency.get_by_label("Ordre du jour").fill("Admissions et retraits")
        agency.get_by_role("button", name="Enregistrer l'assemblée").click()
        expect(agency.get_by_role("heading", level=1)).to_have_text("Assemblée générale d'automne")
        member = Member.objects.get(organisation=people)
        agency.locator("#id_member").select_option(str(member.pk))
        agency.locator("#id_action").select_option("admit")
        agency.get_by_role("button", name="Enregistrer la décision").click()
        expect(agency.locator("#assembly-movements")).to_contain_text(f"Admission : {EHPAD}")

        # 3. The referent requests a quote for the pack complémentaire (12 months, one establishment).
        referent.reload()
        expect(referent.locator("#member-status")).to_contain_text("Adhérent")
        referent.get_by_label("Offre").select_option("pack")
        referent.get_by_label("Quantité").fill("1")
        referent.get_by_label("Durée (mois)").fill("12")
        referent.get_by_role("button", name="Obtenir le devis").click()
        expect(referent.get_by_role("heading", level=1)).to_contain_text("Devis DEV-")
        expect(referent.locator("#total-ht")).to_have_text("1\u00a0200,00\u00a0€")
        expect(referent.locator("#total-ttc")).to_have_text("1\u00a0440,00\u00a0€")

        # 4. … and downloads the PDF.
        with referent.expect_download() as download_info:
            referent.get_by_role("link", name="Télécharger le PDF").click()
        download = download_info.value
        with open(download.path(), "rb") as handle:
            pdf = handle.read()
        assert pdf.startswith(b"%PDF-") and download.suggested_filename.startswith("DEV-")
        assert referent.url.endswith("/") and "%PDF" not in referent.content()
    finally:
        referent_context.close()
        agency_context.close()
