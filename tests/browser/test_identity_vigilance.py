"""Journey of an identity-vigilance officer: worklist → compare two identities → merge (real browser)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from enrs.access.models import Role, RoleAssignment
from enrs.accounts.models import User
from enrs.identity import services
from enrs.identity.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mot-de-passe-solide-1"


@pytest.fixture
def duplicates(service_catalogue):
    officer = User.objects.create_user(username="idv@test.invalid", email="idv@test.invalid", password=PASSWORD, kind="pro")
    RoleAssignment.objects.create(user=officer, role=Role.IDENTITY_VIGILANCE)
    base = {"birth_name": "Lecoq", "sex": "F", "birth_place_insee": "14118"}
    first = services.create_identity({**base, "birth_first_names": ["Solène", "Marie"], "birth_date": "1962-05-09"},
                                      actor=None, channel="hl7", local_ids=[("CH-CAEN", "C-100")]).patient
    second = services.create_identity({**base, "birth_first_names": ["Solène"], "birth_date": "1962-09-05",
                                       "birth_place_insee": "14366"},
                                      actor=None, channel="hl7", local_ids=[("CH-LISIEUX", "L-200")]).patient
    return first, second


def test_officer_resolves_a_duplicate(live_server, page, duplicates, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    first, second = duplicates
    page.goto(live_server.url + "/comptes/login/")
    page.get_by_label("Adresse e-mail").fill("idv@test.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Listes de travail d'identitovigilance").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Listes de travail")
    page.get_by_role("link", name="Comparer LECOQ et LECOQ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comparer deux identités")
    date_row = page.get_by_role("row").filter(has_text="Date de naissance")
    expect(date_row).to_contain_text("1962-05-09")
    expect(date_row).to_contain_text("1962-09-05")
    expect(date_row.get_by_text("différent")).to_be_visible()

    page.get_by_label("Identité A").check()
    page.get_by_label("Motif de la décision").first.fill("Même personne : jour et mois inversés, CNI contrôlée")
    page.get_by_role("button", name="Fusionner les identités").click()

    expect(page.get_by_role("status").first).to_contain_text("fusionnées")
    expect(page.get_by_text("L-200 (CH-LISIEUX)")).to_be_visible()
    assert Patient.objects.get(pk=second.pk).merged_into_id == first.pk
    assert page.csp_violations == []
