"""Fixtures of the demo tests: a fast password hasher and a small region."""

from __future__ import annotations

import pytest

SMALL = {"seed": 2026, "professionals": 12, "patients": 40}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Argon2 costs ~0.1 s per hash; the demo hashes ten passwords per build.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_region(db):
    from enrs.demo.services import build_demo_region

    return build_demo_region(**SMALL)


def _wipe_demo_rows() -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from enrs.directory.models import Organisation, PracticeSituation, Professional
    from enrs.identity.models import Patient

    EmailAddress.objects.all().delete()
    get_user_model().objects.all().delete()
    PracticeSituation.objects.all().delete()
    Professional.objects.all().delete()
    Patient.objects.all().delete()
    # Establishments point to their legal entity with PROTECT: delete them first.
    Organisation.objects.exclude(legal_entity=None).delete()
    Organisation.objects.all().delete()


@pytest.fixture(scope="module")
def shared_region(django_db_setup, django_db_blocker):
    """One region committed for a whole module of read-only tests, removed afterwards."""
    from django.test import override_settings

    from enrs.demo.services import build_demo_region

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        summary = build_demo_region(**SMALL)
        try:
            yield summary
        finally:
            _wipe_demo_rows()
