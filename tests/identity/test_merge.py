"""Merge and unmerge: every linked object in every app moves to the survivor and comes back exactly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrs.access.models import (
    AccessGrant,
    BreakGlassAccess,
    CareRelationship,
    PatientConsent,
)
from enrs.core import audit
from enrs.core.models import AccessEvent
from enrs.identity import selectors, services
from enrs.identity.models import (
    IdentityHistory,
    IdentityMatchKey,
    IdentityMerge,
    Patient,
    PotentialDuplicate,
)

from .conftest import make_user, traits

pytestmark = pytest.mark.django_db


def _pair():
    a = services.create_identity(traits(), actor=None, channel="hl7", local_ids=[("CH-CAEN", "A1")]).patient
    b = services.create_identity(
        traits(birth_first_names=["Jeanne"], birth_place_insee="14366", birth_date="1950-02-03"),
        actor=None, channel="hl7", local_ids=[("CH-LISIEUX", "B1"), ("CH-BAYEUX", "B2")],
    ).patient
    return a, b


def _links(patient_ids) -> dict[tuple[str, str, str], int]:
    """Every row of every model pointing to these identities, found the same generic way as the merge."""
    found = {}
    for model, column, _unique in services._relations():
        for pk, target in model._base_manager.filter(**{f"{column}__in": patient_ids}).values_list("pk", column):
            found[(model._meta.label, column, str(pk))] = target
    return found


def _populate(a: Patient, b: Patient):
    doctor, nurse = make_user("pro"), make_user("pro")
    later = timezone.now() + dt.timedelta(days=2)
    for patient in (a, b):
        CareRelationship.objects.create(patient=patient, professional=doctor)
        AccessGrant.objects.create(patient=patient, grantee=nurse, reason="avis", expires_at=later)
        PatientConsent.objects.create(patient=patient, opposes_sharing=patient == a)
    BreakGlassAccess.objects.create(patient=b, user=doctor, reason="urgence vitale " * 3, expires_at=later)
    account = make_user("patient")
    services.link_patient_user(b, account)
    return account


def test_relations_are_discovered_generically():
    labels = {model._meta.label for model, _c, _u in services._relations()}
    assert {"access.CareRelationship", "access.AccessGrant", "access.BreakGlassAccess", "access.PatientConsent",
            "identity.LocalIdentifier"} <= labels
    assert not labels & {"identity.IdentityHistory", "identity.IdentityMatchKey", "identity.IdentityMerge"}
    unique = {model._meta.label for model, _c, u in services._relations() if u}
    assert "access.PatientConsent" in unique and "access.CareRelationship" not in unique


def test_merge_then_unmerge_round_trip(officer):
    a, b = _pair()
    account = _populate(a, b)
    event = audit.record(actor=officer, action="read", channel="web", patient_id=b.pk)
    before = _links([a.pk, b.pk])
    assert sum(1 for target in before.values() if target == b.pk) == 6  # 2 local ids, care, grant, consent, break-glass

    merge = services.merge_identities(a, b, actor=officer, channel="web", reason="même personne (pièce d'identité)")
    b.refresh_from_db()
    a.refresh_from_db()
    after = _links([a.pk, b.pk])
    assert b.merged_into == a and a.user == account and b.user is None
    # Everything moved except the consent: the survivor already has one (one-to-one), so it stays, kept and listed.
    on_b = {key for key, target in after.items() if target == b.pk}
    assert {key[0] for key in on_b} == {"access.PatientConsent"}
    assert merge.kept == [{"model": "access.PatientConsent", "field": "patient",
                           "pks": [str(PatientConsent.objects.get(opposes_sharing=False).pk)]}]
    assert set(after) == set(before)  # nothing lost
    assert selectors.find_by_local_id("CH-LISIEUX", "B1") == a
    assert selectors.local_ids_of(a) == [("CH-BAYEUX", "B2"), ("CH-CAEN", "A1"), ("CH-LISIEUX", "B1")]
    assert not IdentityMatchKey.objects.filter(patient=b).exists()
    assert all(c.patient != b for c in selectors.match_candidates(traits(birth_first_names=["Jeanne"])))
    assert AccessEvent.objects.get(pk=event.pk).patient_id == b.pk  # the trail is never rewritten
    assert PotentialDuplicate.objects.get().status == "resolved"
    assert IdentityHistory.objects.filter(action="merge").count() == 2

    services.unmerge(merge, actor=officer, channel="web", reason="erreur : deux jumelles")
    b.refresh_from_db()
    a.refresh_from_db()
    assert _links([a.pk, b.pk]) == before
    assert b.merged_into is None and b.user == account and a.user is None
    assert IdentityMatchKey.objects.filter(patient=b).exists()
    merge.refresh_from_db()
    assert merge.undone_by == officer and merge.undo_reason == "erreur : deux jumelles"
    assert IdentityHistory.objects.filter(action="unmerge").count() == 2
    trail = AccessEvent.objects.filter(object_type="identity.IdentityMerge", object_id=str(merge.pk))
    assert set(trail.values_list("patient_id", flat=True)) == {a.pk, b.pk} and trail.count() == 4


def test_merge_refusals(officer):
    a, b = _pair()
    with pytest.raises(ValidationError) as error:
        services.merge_identities(a, b, actor=officer, channel="web", reason="  ")
    assert "motif" in error.value.message_dict["reason"][0]
    with pytest.raises(ValidationError):
        services.merge_identities(a, a, actor=officer, channel="web", reason="x")
    merge = services.merge_identities(a, b, actor=officer, channel="web", reason="doublon")
    with pytest.raises(ValidationError) as error:
        services.merge_identities(a, b, actor=officer, channel="web", reason="encore")
    assert "déjà été fusionnée" in error.value.message_dict["merged"][0]
    with pytest.raises(ValidationError):
        services.update_identity(b, {"birth_name": "X"}, actor=officer, channel="web")
    services.unmerge(merge, actor=officer, channel="web", reason="erreur")
    with pytest.raises(ValidationError) as error:
        services.unmerge(merge, actor=officer, channel="web", reason="erreur")
    assert "déjà été annulée" in error.value.message_dict["reason"][0]
    assert IdentityMerge.objects.count() == 1


def test_chained_merges_unwind_in_order(officer):
    a, b = _pair()
    c = services.create_identity(traits(birth_name="Lebrun", birth_first_names=["Paul"], sex="M", birth_date="1981-07-14"),
                                 actor=None, channel="hl7", local_ids=[("CH-X", "C1")]).patient
    first = services.merge_identities(b, c, actor=officer, channel="web", reason="r1")
    second = services.merge_identities(a, b, actor=officer, channel="web", reason="r2")
    assert selectors.find_by_local_id("CH-X", "C1") == a
    with pytest.raises(ValidationError):
        services.unmerge(first, actor=officer, channel="web", reason="trop tôt")
    services.unmerge(second, actor=officer, channel="web", reason="r3")
    services.unmerge(first, actor=officer, channel="web", reason="r4")
    assert selectors.local_ids_of(c) == [("CH-X", "C1")] and selectors.local_ids_of(b) == [("CH-BAYEUX", "B2"), ("CH-LISIEUX", "B1")]


def test_dismissed_duplicate_and_collision_decisions_are_traced(officer):
    _pair()
    duplicate = PotentialDuplicate.objects.get()
    services.dismiss_duplicate(duplicate, actor=officer, channel="web", reason="homonymes vérifiés")
    assert selectors.open_duplicates().count() == 0
    with pytest.raises(ValidationError):
        services.dismiss_duplicate(duplicate, actor=officer, channel="web", reason="encore")
    collision = services.report_collision(duplicate.patient_a, actor=officer, channel="web", description="deux personnes")
    assert selectors.open_collisions().get() == collision
    services.resolve_collision(collision, actor=officer, channel="web", resolution="identité scindée")
    assert selectors.open_collisions().count() == 0
    assert AccessEvent.objects.filter(object_type="identity.IdentityCollision").count() == 2
