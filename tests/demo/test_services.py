"""Building the demo region into the database: all or nothing, idempotent."""

from __future__ import annotations

from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from enrs.demo import generators as gen
from enrs.demo.personas import DEFAULT_DEMO_PASSWORD, PERSONAS
from enrs.demo.services import DemoConflict, build_demo_region
from enrs.directory.models import Organisation, PracticeSituation, Professional
from enrs.identity.models import Patient

from .conftest import SMALL

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Organisation.objects.count(), Professional.objects.count(), PracticeSituation.objects.count(),
        Patient.objects.count(), get_user_model().objects.count(), EmailAddress.objects.count(),
    )


def test_second_run_creates_and_changes_nothing(small_region):
    before = _counts()
    assert all(tally.updated == tally.unchanged == 0 for tally in small_region.tallies.values())
    assert small_region.tallies["organisations"].created == before[0]
    again = build_demo_region(**SMALL)
    assert again.changed == 0
    assert all(tally.created == 0 and tally.updated == 0 for tally in again.tallies.values())
    assert _counts() == before
    assert again.tallies["patients"].unchanged == SMALL["patients"]


def test_password_comes_from_the_environment_and_is_reset_on_rerun(small_region, monkeypatch):
    monkeypatch.setenv("ENRS_DEMO_PASSWORD", "un-autre-secret-2026")
    summary = build_demo_region(**SMALL)
    assert summary.tallies["accounts"].updated == len(PERSONAS)
    user = get_user_model().objects.get(email="observatoire@demo.enrs.invalid")
    assert user.check_password("un-autre-secret-2026")
    assert not user.check_password(DEFAULT_DEMO_PASSWORD)


def test_failure_midway_leaves_nothing(db):
    from enrs.identity import services as identity

    real = identity.upsert_demo_patient
    calls = {"n": 0}

    def flaky(data):
        calls["n"] += 1
        if calls["n"] == 25:
            raise RuntimeError("interrupted")
        return real(data)

    with mock.patch.object(identity, "upsert_demo_patient", side_effect=flaky):
        with pytest.raises(RuntimeError):
            build_demo_region(**SMALL)
    assert _counts() == (0, 0, 0, 0, 0, 0)


def test_refuses_to_overwrite_a_real_organisation(db):
    taken = next(spec.data["finess"] for spec in gen.organisation_catalogue(2026) if "finess" in spec.data)
    Organisation.objects.create(finess=taken, name="Vraie structure", source="finess")
    with pytest.raises(DemoConflict) as caught:
        build_demo_region(**SMALL)
    assert taken in " ".join(caught.value.messages)
    assert Organisation.objects.count() == 1
    assert Organisation.objects.get().name == "Vraie structure"


def test_refuses_to_overwrite_a_real_patient(db):
    data = next(gen.patient_specs(2026, 1))
    Patient.objects.create(
        birth_name=data["birth_name"].upper(), birth_first_names=data["birth_first_names"],
        birth_date=data["birth_date"], sex=data["sex"], source="hospital",
    )
    with pytest.raises(ValidationError) as caught:
        build_demo_region(**SMALL)
    assert "identité réelle" in " ".join(caught.value.messages)
    assert Patient.objects.count() == 1 and Organisation.objects.count() == 0


def test_negative_sizes_are_refused(db):
    with pytest.raises(ValidationError):
        build_demo_region(seed=1, professionals=-1, patients=0)
