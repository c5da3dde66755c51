"""Session hardening: idle timeout, absolute lifetime, recent login, secure cookies."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.urls import reverse

from enrs.accounts import services

from .conftest import psc_login

pytestmark = pytest.mark.django_db
PASSWORD = "mot-de-passe-solide-1"


@pytest.fixture
def patient_client(client, users):
    response = client.post(reverse("account_login"), {"login": "patient@test.invalid", "password": PASSWORD})
    assert response.status_code == 302
    return client


def _shift(client, key, seconds):
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_idle_session_is_logged_out_with_a_french_message(patient_client, settings):
    settings.ENRS_SESSION_IDLE_TIMEOUT = 1800
    _shift(patient_client, services.SESSION_LAST_SEEN, 1801)
    response = patient_client.get(reverse("portal:patient_home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("account_login") + "?next=")
    assert "expiré après une période d'inactivité" in response.content.decode().replace("&#x27;", "'")
    assert patient_client.session.get("_auth_user_id") is None


def test_activity_within_the_idle_timeout_keeps_the_session(patient_client, settings):
    settings.ENRS_SESSION_IDLE_TIMEOUT = 1800
    _shift(patient_client, services.SESSION_LAST_SEEN, 1700)
    assert patient_client.get(reverse("portal:patient_home")).status_code == 200
    # The visit counted as activity: the clock restarted.
    assert time.time() - patient_client.session[services.SESSION_LAST_SEEN] < 5


def test_absolute_lifetime_ends_even_an_active_session(patient_client, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    _shift(patient_client, services.SESSION_LOGIN_AT, 8 * 3600 + 1)
    response = patient_client.get(reverse("portal:patient_home"))
    assert response.status_code == 302
    assert patient_client.session.get("_auth_user_id") is None


def test_session_opened_outside_allauth_is_timed_too(client, users):
    client.force_login(users["patient"])
    assert client.get(reverse("portal:patient_home")).status_code == 200
    assert services.SESSION_LAST_SEEN in client.session


@pytest.fixture
def sensitive_urls(settings):
    settings.ROOT_URLCONF = "accounts.urls_for_tests"
    return "/test-sensible/"


def _age_authentications(client, seconds):
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def test_recent_login_passes_then_an_old_one_asks_the_password_again(patient_client, sensitive_urls):
    assert patient_client.get(sensitive_urls).content == b"action sensible GET"
    _age_authentications(patient_client, 121)

    response = patient_client.get(sensitive_urls)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    wrong = patient_client.post(response["Location"], {"password": "faux-mot-de-passe-9"})
    assert wrong.status_code == 400
    again = patient_client.post(response["Location"], {"password": PASSWORD})
    assert again.status_code == 302 and again["Location"] == sensitive_urls
    assert patient_client.get(sensitive_urls).status_code == 200


def test_old_login_replays_a_suspended_post_after_reauthentication(patient_client, sensitive_urls):
    _age_authentications(patient_client, 121)
    response = patient_client.post(sensitive_urls, {"x": "1"})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    resumed = patient_client.post(response["Location"], {"password": PASSWORD})
    assert resumed.status_code == 200 and resumed.content == b"action sensible POST"


def test_psc_only_account_reauthenticates_through_psc(client, psc, directory_professional, sensitive_urls):
    psc_login(client, directory_professional.idnat_ps)
    assert client.get(sensitive_urls).status_code == 200
    _age_authentications(client, 121)
    response = client.get(sensitive_urls)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("openid_connect_login", kwargs={"provider_id": "psc"}))
    assert "prompt%3Dlogin" in response["Location"]


def test_anonymous_is_sent_to_login(client, sensitive_urls):
    response = client.get(sensitive_urls)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("env", "secure"), [({"ENRS_HTTPS": "1"}, True), ({}, False)])
def test_cookies_are_secure_behind_https(env, secure):
    code = "from enrs import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    clean = {k: v for k, v in os.environ.items() if k not in {"ENRS_HTTPS", "ENRS_SECURE_COOKIES", "ENRS_DEBUG"}}
    output = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    assert output.stdout.split() == [str(secure), str(secure), "True"]
