"""Brute force on the login form: slowed per address, then the account is locked."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "mot-de-passe-solide-1"
LOCKED = "Trop de tentatives de connexion"


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_account_is_locked_after_five_failures_even_with_the_right_password(client, users):
    for attempt in range(5):
        response = _login(client, "patient@test.invalid", f"mauvais-{attempt}-Mdp")
        assert response.status_code == 400 and LOCKED not in response.content.decode()

    locked = _login(client, "patient@test.invalid", PASSWORD)
    assert locked.status_code in (400, 429)
    assert LOCKED in locked.content.decode()
    assert client.session.get("_auth_user_id") is None

    # Another account from the same address is not locked (below the per-IP limit).
    assert _login(client, "staff@test.invalid", PASSWORD).status_code == 302


def test_lock_is_per_account_whatever_the_case_of_the_address(client, users):
    for attempt in range(5):
        _login(client, "Patient@Test.invalid", f"mauvais-{attempt}-Mdp")
    assert LOCKED in _login(client, "patient@test.invalid", PASSWORD).content.decode()


def test_many_failures_from_one_address_are_slowed(client, users):
    for attempt in range(10):
        _login(client, f"inconnu{attempt}@test.invalid", "mauvais-Mdp-1")
    # The eleventh attempt within the minute is refused before any password check.
    response = _login(client, "staff@test.invalid", PASSWORD)
    assert LOCKED in response.content.decode()
    assert client.session.get("_auth_user_id") is None


def test_success_before_the_limit_does_not_reset_the_counter(client, users):
    for attempt in range(4):
        _login(client, "patient@test.invalid", f"mauvais-{attempt}-Mdp")
    assert _login(client, "patient@test.invalid", PASSWORD).status_code == 302
    client.logout()
    _login(client, "patient@test.invalid", "mauvais-5-Mdp")
    assert LOCKED in _login(client, "patient@test.invalid", PASSWORD).content.decode()
