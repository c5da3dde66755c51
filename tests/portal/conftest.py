"""Fixtures for the portal and directory screen tests."""

from __future__ import annotations

import pytest

from .builders import make_organisation, make_patient, make_pro_user, make_user


@pytest.fixture
def pro_client(client, db):
    organisation = make_organisation("Maison de santé du Bessin", college="B")
    client.force_login(make_pro_user("pro.portail@test.invalid", organisation, first_name="Julien", last_name="Morel"))
    return client


@pytest.fixture
def patient_user(db):
    user = make_user("patiente@test.invalid", "patient")
    make_patient(user)
    return user
