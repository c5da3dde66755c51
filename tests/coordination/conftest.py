"""Fixtures of the coordination tests: a GP who follows a patient, a nurse, an outsider, a record."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from enrs.access import services as access_services
from enrs.coordination import services
from access.builders import make_organisation, make_patient_account, make_professional, make_user


def pdf_bytes(text: str = "lettre") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def org(db):
    return make_organisation()


@pytest.fixture
def gp(db, org):
    return make_professional(org)


@pytest.fixture
def nurse(db, org):
    return make_professional(org, profession_code="60")


@pytest.fixture
def outsider(db):
    return make_professional(make_organisation())


@pytest.fixture
def patient_account(db):
    return make_patient_account()


@pytest.fixture
def patient(patient_account):
    return patient_account[1]


@pytest.fixture
def patient_user(patient_account):
    return patient_account[0]


@pytest.fixture
def vigilance(db):
    user = make_user("agency")
    return user


@pytest.fixture
def record(gp, patient, org):
    access_services.add_care_team_member(patient, gp, organisation=org, role="Médecin traitant", referent=True)
    return services.open_record(patient, by=gp)


@pytest.fixture
def documents_dir(settings, tmp_path):
    """Documents stored under a per-test directory (the default filesystem store)."""
    storages = dict(settings.STORAGES)
    storages["documents"] = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "documents")}}
    settings.STORAGES = storages  # Django's setting_changed handler resets ``storages``
    return tmp_path / "documents"
