"""Demo seeding of identity vigilance, the bench-only bulk loader, and the identity rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from enrs.access.models import CareRelationship
from enrs.core import permissions
from enrs.core.validators import nir_is_valid
from enrs.identity import selectors, services
from enrs.identity.models import (
    IdentityMatchKey,
    LocalIdentifier,
    Patient,
    PotentialDuplicate,
)

from .conftest import make_user, traits

pytestmark = pytest.mark.django_db


def _demo_patients(n: int):
    for i in range(n):
        services.upsert_demo_patient({
            "birth_name": f"Demo{chr(65 + i)}", "birth_first_names": "Lucie Anne", "birth_date": dt.date(1970 + i, 3, 2 + i),
            "sex": "F" if i % 2 else "M", "birth_place_insee": "14118",
        })


def test_demo_seed_gives_statuses_consistent_ins_and_duplicates_idempotently():
    _demo_patients(12)
    counts = services.seed_demo_vigilance()
    assert counts["statuses"] >= 7 and counts["duplicates"] >= 1
    statuses = set(Patient.objects.values_list("identity_status", flat=True))
    assert {"QUAL", "PROV"} <= statuses
    for patient in Patient.objects.exclude(ins_matricule=""):
        assert nir_is_valid(patient.ins_matricule) and patient.ins_oid == "1.2.250.1.213.1.4.11"
        assert services.ins_anomalies(patient) == []
        assert patient.identity_status in {"RECUP", "QUAL"}
    assert selectors.open_duplicates().count() == counts["duplicates"]
    total = Patient.objects.count()
    assert services.seed_demo_vigilance() == {"statuses": 0, "duplicates": 0}
    assert Patient.objects.count() == total and PotentialDuplicate.objects.count() == counts["duplicates"]


def test_bulk_load_for_benchmark_inserts_patients_and_keys_only():
    rows = [traits(birth_name=f"Bulk{chr(65 + i)}", birth_date="1980-00-00" if i == 0 else "1980-05-06") for i in range(7)]
    assert services.bulk_load_for_benchmark(iter(rows), batch_size=3) == 7
    assert Patient.objects.filter(source="bench").count() == 7
    assert Patient.objects.get(birth_name="BulkA").birth_date_text == "1980-00-00"
    assert IdentityMatchKey.objects.values("patient_id").distinct().count() == 7
    found = selectors.match_candidates(traits(birth_name="BulkC", birth_date="1980-05-06"))
    assert found[0].patient.birth_name == "BulkC"
    bulk = Patient.objects.get(birth_name="BulkC")
    assert (bulk.identity_status, bulk.comment_codes, bulk.source, bulk.created_at is not None) == ("PROV", [], "bench", True)
    # The id sequence follows the explicit ids: a normal creation afterwards does not collide.
    assert services.create_identity(traits(birth_name="After"), actor=None, channel="cli").patient.pk > bulk.pk


def test_local_identifier_rule_follows_the_patient_rule(officer, outsider):
    patient = services.create_identity(traits(), actor=None, channel="hl7", local_ids=[("CH-CAEN", "Z1")]).patient
    local = LocalIdentifier.objects.get()
    assert permissions.can(officer, "read", local) and permissions.can(officer, "update", local)
    assert not permissions.can(outsider, "read", local)
    CareRelationship.objects.create(patient=patient, professional=outsider, start=timezone.now() - dt.timedelta(days=1))
    # The outsider is not a professional of the directory: no care role, still nothing.
    assert not permissions.can(outsider, "read", local)
    patient_user = make_user("patient")
    services.link_patient_user(patient, patient_user)
    local = LocalIdentifier.objects.get()  # fresh: the cached patient predates the account link
    assert permissions.can(patient_user, "read", local) and not permissions.can(patient_user, "update", local)
    assert list(permissions.filter_allowed(patient_user, "read", LocalIdentifier.objects.all())) == [local]
    assert not permissions.filter_allowed(outsider, "read", LocalIdentifier.objects.all()).exists()


def test_vigilance_objects_are_reserved(officer, outsider):
    services.create_identity(traits(), actor=None, channel="hl7")
    services.create_identity(traits(birth_first_names=["Jeanne"], birth_date="1950-02-03", birth_place_insee="14366"),
                             actor=None, channel="hl7")
    pair = PotentialDuplicate.objects.get()
    assert permissions.can(officer, "read", pair) and not permissions.can(outsider, "read", pair)
    assert permissions.filter_allowed(officer, "read", PotentialDuplicate.objects.all()).count() == 1
    assert not permissions.filter_allowed(outsider, "read", PotentialDuplicate.objects.all()).exists()
