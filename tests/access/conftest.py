"""Fixtures of the habilitation tests (builders in ``builders.py``)."""

from __future__ import annotations

import pytest

from .builders import make_organisation, make_patient_account, make_professional


@pytest.fixture
def org(db):
    return make_organisation()


@pytest.fixture
def pro(db, org):
    return make_professional(org)


@pytest.fixture
def other_pro(db, org):
    return make_professional(org)


@pytest.fixture
def patient_account(db):
    return make_patient_account()
