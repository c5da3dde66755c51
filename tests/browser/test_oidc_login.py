"""Pro Santé Connect in a real browser: our login page, the provider, the pro home."""

from __future__ import annotations

import pytest
from oidc_peer import psc_settings, start_oidc_peer
from playwright.sync_api import expect

from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def psc_peer(live_server, settings):
    peer = start_oidc_peer([live_server.url + "/comptes/oidc/psc/login/callback/"], [live_server.url + "/"])
    psc_settings(settings, peer)
    yield peer
    peer.stop()


@pytest.fixture
def professional(service_catalogue):
    organisation = directory.upsert_organisation(
        {"finess": finess_complete("14009991"), "finess_kind": "ET", "name": "Maison de santé du Bocage", "kind": "MSP",
         "college": "B", "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}
    ).obj
    professional = directory.upsert_professional(
        {"rpps": luhn_complete("1000009991"), "first_name": "Julien", "last_name": "Morel", "profession_code": "10"}
    ).obj
    directory.upsert_situation(professional, organisation, {"specialty_code": "SM54", "mode": "L"})
    return professional


def _log_in_with_psc(page, base_url: str, idnat_ps: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name="Accéder à l'espace professionnel").click()
    page.get_by_role("button", name="Se connecter avec Pro Santé Connect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pro Santé Connect (fournisseur de test)")
    page.get_by_label("Identifiant national (idNatPS)").fill(idnat_ps)
    page.get_by_role("button", name="Valider").click()


def test_professional_logs_in_with_psc_and_reaches_the_pro_home(live_server, page, psc_peer, professional):
    _log_in_with_psc(page, live_server.url, professional.idnat_ps)
    expect(page).to_have_url(live_server.url + "/espace-pro/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Julien Morel")
    expect(page.get_by_text("Maison de santé du Bocage")).to_be_visible()
    assert psc_peer.last_authorization()["acr_values"] == "eidas1"
    assert User.objects.get(professional=professional).kind == "pro"
    assert page.csp_violations == []


def test_unknown_professional_is_refused_in_the_browser(live_server, page, psc_peer, professional):
    _log_in_with_psc(page, live_server.url, "899999999990")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("ne figure pas dans l'annuaire régional")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion refusée")
    assert not User.objects.exists()


def test_logout_ends_the_psc_session_too(live_server, page, psc_peer, professional):
    """On a shared workstation the next PSC click must ask for an identity again."""
    _log_in_with_psc(page, live_server.url, professional.idnat_ps)
    expect(page).to_have_url(live_server.url + "/espace-pro/")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déconnexion de Pro Santé Connect")
    page.get_by_role("button", name="Me déconnecter").click()
    expect(page).to_have_url(live_server.url + "/")
    page.get_by_role("link", name="Accéder à l'espace professionnel").click()
    page.get_by_role("button", name="Se connecter avec Pro Santé Connect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pro Santé Connect (fournisseur de test)")
    expect(page.get_by_label("Identifiant national (idNatPS)")).to_be_visible()
