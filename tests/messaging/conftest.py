"""Fixtures of the messaging tests: professionals, a patient with an account in their care team,
attachments stored in a temporary directory, the in-memory channel layer."""

from __future__ import annotations

import pytest

from access.builders import make_organisation, make_patient_account, make_professional


@pytest.fixture(autouse=True)
def _messaging_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "docs")}},
    }
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def organisation(db):
    return make_organisation()


@pytest.fixture
def doctor(organisation):
    return make_professional(organisation)


@pytest.fixture
def nurse(organisation):
    return make_professional(organisation, profession_code="60")


@pytest.fixture
def outsider(db):
    return make_professional(make_organisation())


@pytest.fixture
def patient_account(doctor):
    """(user, patient) with the doctor in the patient's care team."""
    from enrs.access import services as access_services

    user, patient = make_patient_account()
    access_services.add_care_team_member(patient, doctor)
    return user, patient


@pytest.fixture(scope="session")
def asgi_server():
    """One Daphne server per test process, in a thread (Twisted's reactor starts once)."""
    from .servers import shared_in_process_server

    return shared_in_process_server()


def session_cookie(user) -> str:
    """A committed session for ``user`` (the test must be transactional), as a Cookie header."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
