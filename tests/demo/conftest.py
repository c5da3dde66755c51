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

    _wipe_service_rows()
    EmailAddress.objects.all().delete()
    get_user_model().objects.all().delete()
    PracticeSituation.objects.all().delete()
    Professional.objects.all().delete()
    Patient.objects.all().delete()
    # Establishments point to their legal entity with PROTECT: delete them first.
    Organisation.objects.exclude(legal_entity=None).delete()
    Organisation.objects.all().delete()


# Reference data loaded by migrations stays; the rest of these apps is demo content.
_SERVICES_WITH_DEMO_ROWS = {"membership", "offer", "observatory", "agenda"}
_REFERENCE_TABLES = {"offer.CodeSystem", "offer.Concept", "offer.Commune", "membership.Tariff"}


def _wipe_service_rows() -> None:
    """Remove what the services' demo hooks stored (rows pointing to demo organisations).

    Raw SQL: membership documents are immutable through the ORM by design. Tables
    are emptied in passes until the foreign keys between them allow it.
    """
    from django.apps import apps
    from django.db import IntegrityError, connection

    tables = [
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.label in _SERVICES_WITH_DEMO_ROWS
        for model in config.get_models(include_auto_created=True)
        if model._meta.label not in _REFERENCE_TABLES and not model._meta.proxy
    ]
    for _ in range(len(tables)):
        left = []
        for table in tables:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f'DELETE FROM "{table}"')
            except IntegrityError as error:
                left.append(f"{table}: {error}")
        if not left:
            return
        problems = left
        tables = [entry.split(":")[0] for entry in left]
    raise AssertionError(f"demo rows left: {problems}")


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
