"""``enrs.identity.services``: the demo patient upsert and the patient-account link."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from enrs.identity.models import Patient
from enrs.identity.services import link_patient_user, upsert_demo_patient

pytestmark = pytest.mark.django_db

VALID = {
    "birth_name": "Lefèvre",
    "birth_first_names": "Jeanne  Marie",
    "birth_date": datetime.date(1950, 3, 4),
    "sex": "F",
    "birth_place_insee": "14118",
    "used_name": "Durand",
    "commune_insee": "61001",
    "city": "Alençon",
}


def test_create_then_unchanged_then_updated():
    created = upsert_demo_patient(VALID)
    assert created.status == "created"
    patient = created.obj
    assert (patient.birth_name, patient.birth_first_names, patient.used_name) == ("LEFÈVRE", "Jeanne Marie", "DURAND")
    assert patient.source == "demo"
    assert upsert_demo_patient(VALID).status == "unchanged"
    moved = upsert_demo_patient({**VALID, "commune_insee": "76540", "city": "Rouen"})
    assert moved.status == "updated" and moved.obj.pk == patient.pk
    assert Patient.objects.get().city == "Rouen"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"birth_name": "  "}, "birth_name", "nom de naissance est obligatoire"),
        ({"birth_first_names": ""}, "birth_first_names", "prénom de naissance"),
        ({"birth_date": "1950-03-04"}, "birth_date", "doit être une date"),
        ({"birth_date": datetime.date(2999, 1, 1)}, "birth_date", "futur"),
        ({"sex": "X"}, "sex", "F, M ou I"),
        ({"birth_place_insee": "00123"}, "birth_place_insee", "n'existe pas"),
        ({"commune_insee": "ABCDE"}, "commune_insee", "5 caractères"),
    ],
)
def test_bad_traits_are_refused_with_a_french_message_per_field(change, field, message):
    with pytest.raises(ValidationError) as caught:
        upsert_demo_patient({**VALID, **change})
    assert message in " ".join(caught.value.message_dict[field])
    assert Patient.objects.count() == 0


def test_foreign_birth_place_is_accepted():
    assert upsert_demo_patient({**VALID, "birth_place_insee": "99109"}).obj.birth_place_insee == "99109"


def test_unknown_field_is_a_programming_error():
    with pytest.raises(ValueError):
        upsert_demo_patient({**VALID, "nir": "1"})


def test_real_identity_with_the_same_traits_is_never_modified():
    Patient.objects.create(birth_name="LEFÈVRE", birth_first_names="Jeanne Marie", birth_date=VALID["birth_date"],
                           sex="F", city="Caen", source="hospital")
    with pytest.raises(ValidationError, match="identité réelle"):
        upsert_demo_patient(VALID)
    assert Patient.objects.get().city == "Caen"


def test_link_patient_user_is_idempotent_and_refuses_a_second_account():
    User = get_user_model()
    patient = upsert_demo_patient(VALID).obj
    first = User.objects.create_user(username="a@demo.enrs.invalid", email="a@demo.enrs.invalid", password="x" * 12)
    other = User.objects.create_user(username="b@demo.enrs.invalid", email="b@demo.enrs.invalid", password="x" * 12)
    assert link_patient_user(patient, first) is True
    assert link_patient_user(patient, first) is False
    with pytest.raises(ValidationError, match="déjà rattachée"):
        link_patient_user(patient, other)
    patient.refresh_from_db()
    assert patient.user_id == first.pk
