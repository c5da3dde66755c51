"""TOTP, the second factor of professionals who log in without a CPS card."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from enrs.accounts import services

from .conftest import psc_login
from .totp import totp

pytestmark = pytest.mark.django_db
PASSWORD = "mot-de-passe-solide-1"  # the shared `users` fixture's


def _password_login(client, email):
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def _secret_on_page(html: str) -> str:
    return re.search(r'id="authenticator_secret" value="([A-Z2-7]+)"', html).group(1)


def test_professional_without_totp_must_activate_one_before_the_pro_space(client, users):
    response = _password_login(client, "pro@test.invalid")
    assert response.status_code == 302
    blocked = client.get(reverse("portal:pro_home"))
    assert blocked.status_code == 302 and blocked["Location"] == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"))  # no second password prompt
    assert page.status_code == 200
    html = page.content.decode()
    assert "Activer la connexion par code à usage unique" in html
    secret = _secret_on_page(html)

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and 'class="errorlist"' in wrong.content.decode()
    assert not Authenticator.objects.filter(user=users["pro"]).exists()

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=users["pro"], type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("portal:pro_home")).status_code == 200
    assert services.SESSION_MFA_ENROLMENT not in client.session


def test_professional_with_totp_is_asked_for_the_code(client, users):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(users["pro"], secret)

    response = _password_login(client, "pro@test.invalid")
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.session.get("_auth_user_id") is None

    wrong = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert wrong.status_code == 400 and client.session.get("_auth_user_id") is None

    right = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(users["pro"].pk)
    assert client.get(reverse("portal:pro_home")).status_code == 200

    # A code is good once: replaying it on a new login fails.
    client.logout()
    _password_login(client, "pro@test.invalid")
    assert client.post(reverse("mfa_authenticate"), {"code": totp(secret)}).status_code == 400


def test_patients_are_not_forced_to_enrol(client, users):
    _password_login(client, "patient@test.invalid")
    assert client.get(reverse("portal:patient_home")).status_code == 200


def test_enrolment_can_be_switched_off(client, settings, users):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    _password_login(client, "pro@test.invalid")
    assert client.get(reverse("portal:pro_home")).status_code == 200


def test_psc_login_is_not_sent_to_enrolment(client, psc, users):
    psc_login(client, users["pro"].professional.idnat_ps)
    assert client.session[services.SESSION_METHOD] == "psc"
    assert client.get(reverse("portal:pro_home")).status_code == 200


def test_enrolment_leaves_logout_reachable(client, users):
    _password_login(client, "pro@test.invalid")
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and client.session.get("_auth_user_id") is None


def test_our_totp_matches_the_rfc6238_reference_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits).
    assert totp(base64.b32encode(b"12345678901234567890").decode(), at=59, digits=8) == "94287082"
