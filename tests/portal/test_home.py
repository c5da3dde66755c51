"""Landing page, login page, home dispatch and the two access points."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from .builders import make_organisation, make_patient, make_pro_user, make_user

pytestmark = pytest.mark.django_db

PROTECTED = ["portal:home", "portal:pro_home", "portal:patient_home", "directory:search"]


def test_landing_offers_both_access_points_and_names_the_region(client, settings):
    settings.ENRS_REGION_NAME = "Normandie"
    html = client.get(reverse("portal:landing")).content.decode()
    assert "Espace professionnel" in html and "Espace patient" in html
    assert "Normandie" in html
    login = reverse("account_login")
    assert f'href="{login}?espace=pro"' in html and f'href="{login}?espace=patient"' in html
    assert 'class="skip-link" href="#contenu"' in html and '<main id="contenu"' in html


@pytest.mark.parametrize("name", PROTECTED)
def test_anonymous_visitor_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("name", ["directory:organisation", "directory:professional"])
def test_anonymous_visitor_cannot_open_detail_pages(client, name):
    response = client.get(reverse(name, args=[1]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_login_page_is_french_and_accessible(client):
    html = client.get(reverse("account_login") + "?espace=patient").content.decode()
    assert "Se connecter" in html and "Espace patient" in html
    assert '<label for="id_login"' in html and '<label for="id_password"' in html
    assert "Mot de passe oublié" in html


def test_wrong_password_shows_a_french_alert(client):
    make_user("quelquun@test.invalid", "pro")
    response = client.post(reverse("account_login"), {"login": "quelquun@test.invalid", "password": "faux"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "incorrect" in html  # allauth's French message: "... sont incorrects."


def test_missing_field_error_is_linked_to_the_input(client):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    html = response.content.decode()
    assert 'aria-describedby="id_login_error"' in html or 'aria-describedby="id_login_helptext id_login_error"' in html
    assert 'id="id_login_error"' in html
    assert "Ce champ est obligatoire." in html


def test_login_lands_on_the_dispatcher_then_the_professional_home(client, settings):
    # Forced TOTP enrolment is tested in tests/accounts; here the password login alone.
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    make_pro_user("connexion@test.invalid", make_organisation("MSP du Pré", college="B"))
    response = client.post(
        reverse("account_login"), {"login": "connexion@test.invalid", "password": "mot-de-passe-solide-1"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:pro_home")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("pro", "portal:pro_home"), ("agency", "portal:pro_home"), ("patient", "portal:patient_home")],
)
def test_home_dispatches_by_account_kind(client, kind, expected):
    client.force_login(make_user(f"{kind}@test.invalid", kind))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"] == reverse(expected)


def test_professional_home_greets_by_name_and_lists_organisations(client):
    bessin = make_organisation("Maison de santé du Bessin", college="B")
    ehpad = make_organisation("EHPAD Les Tilleuls", college="C", kind="EHPAD", city="Rouen")
    client.force_login(make_pro_user("helene@test.invalid", bessin, ehpad))
    html = client.get(reverse("portal:pro_home")).content.decode()
    assert "Bonjour Hélène Lefèvre" in html
    assert "Maison de santé du Bessin" in html and "EHPAD Les Tilleuls" in html
    assert reverse("directory:organisation", args=[bessin.pk]) in html
    assert "back-office" not in html.lower()


def test_professional_without_directory_record_gets_institutional_tiles_and_a_notice(client):
    client.force_login(make_user("orphelin@test.invalid", "pro", first_name="Jules", last_name="Caron"))
    html = client.get(reverse("portal:pro_home")).content.decode()
    assert "Bonjour Jules Caron" in html
    assert "rattaché à aucune structure" in html
    assert 'data-service="annuaire"' in html and 'data-service="coordination"' not in html


def test_agency_staff_see_every_professional_service_and_the_back_office(client):
    client.force_login(make_user("agence@test.invalid", "agency", is_staff=True))
    html = client.get(reverse("portal:pro_home")).content.decode()
    assert reverse("admin:index") in html
    for code in ("annuaire", "oru", "erdv", "telesurveillance", "adhesion"):
        assert f'data-service="{code}"' in html
    assert 'data-service="mes-rendez-vous"' not in html


def test_patient_home_shows_only_his_own_record_and_patient_tiles(client, patient_user):
    make_patient(birth_name="BERNARD", first_names="Paul", birth_date=dt.date(1970, 1, 1))
    client.force_login(patient_user)
    html = client.get(reverse("portal:patient_home")).content.decode()
    assert "Bonjour Camille MARTIN" in html
    assert "Mes informations" in html and "12 mars 1984" in html
    assert "BERNARD" not in html
    assert 'data-service="mes-rendez-vous"' in html and 'data-service="trouver-un-soin"' in html
    assert 'data-service="annuaire"' not in html and "Annuaire santé" not in html
    assert reverse("directory:search") not in html  # no directory link in the header either


def test_patient_account_without_record_gets_a_notice_not_an_error(client):
    client.force_login(make_user("sansdossier@test.invalid", "patient"))
    response = client.get(reverse("portal:patient_home"))
    assert response.status_code == 200
    assert "pas encore rattaché" in response.content.decode()


@pytest.mark.parametrize("name", ["portal:pro_home", "directory:search"])
def test_patient_cannot_open_professional_pages(client, patient_user, name):
    client.force_login(patient_user)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_professional_cannot_open_the_patient_home(pro_client):
    response = pro_client.get(reverse("portal:patient_home"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html and "Vous n'avez pas accès à cette page." in html.replace("&#x27;", "'")


def test_pages_carry_no_inline_script_or_style(pro_client):
    html = pro_client.get(reverse("portal:pro_home")).content.decode()
    assert "<style" not in html and " style=" not in html
    assert "<script>" not in html and "onclick" not in html


def test_professional_home_links_to_emergency_access(client, users, settings):
    from django.urls import reverse

    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    client.force_login(users["pro"])
    html = client.get(reverse("portal:pro_home")).content.decode()
    assert reverse("access:break_glass_search") in html
    assert "Accès en urgence à un dossier" in html
