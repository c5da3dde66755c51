"""Create/update with the real-time matching: link (same INS or high score), review (worklist), new identity."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from enrs.core.models import AccessEvent
from enrs.core.validators import nir_complete
from enrs.identity import selectors, services
from enrs.identity.models import (
    OID_NIR_TEST,
    IdentityAnomaly,
    IdentityCollision,
    IdentityHistory,
    IdentityMatchKey,
    LocalIdentifier,
    Patient,
    PotentialDuplicate,
)

from .conftest import traits

pytestmark = pytest.mark.django_db
INS = nir_complete("2500314118123")


def _create(local=("CH-CAEN", "IPP1"), **overrides):
    return services.create_identity(traits(**overrides), actor=None, channel="hl7", source="CH-CAEN",
                                    local_ids=[local] if local else [])


def test_new_identity_with_keys_history_trail_and_local_id():
    outcome = _create()
    patient = outcome.patient
    assert outcome.outcome == "created" and outcome.candidates == []
    assert patient.identity_status == "PROV" and patient.source == "CH-CAEN"
    assert IdentityMatchKey.objects.filter(patient=patient).count() >= 2
    assert all(len(k) <= 64 for k in IdentityMatchKey.objects.values_list("key", flat=True))
    assert selectors.find_by_local_id("CH-CAEN", "IPP1") == patient
    assert selectors.local_ids_of(patient) == [("CH-CAEN", "IPP1")]
    assert [h.action for h in IdentityHistory.objects.filter(patient=patient).order_by("pk")] == ["create", "link"]
    event = AccessEvent.objects.get(patient_id=patient.pk)
    assert (event.action, event.channel, event.object_type) == ("create", "hl7", "identity.Patient")


def test_same_person_from_another_establishment_is_linked_automatically():
    first = _create().patient
    outcome = _create(local=("CH-LISIEUX", "L-77"), birth_name="MARTÍN", birth_first_names=["Jeanne", "Marie"])
    assert outcome.outcome == "linked" and outcome.patient == first
    assert Patient.objects.count() == 1
    assert selectors.local_ids_of(first) == [("CH-CAEN", "IPP1"), ("CH-LISIEUX", "L-77")]
    assert selectors.find_by_local_id("CH-LISIEUX", "L-77") == first


def test_same_ins_links_even_with_a_typo():
    first = _create(ins=INS, ins_oid=OID_NIR_TEST).patient
    outcome = _create(local=("CH-X", "9"), ins=INS, ins_oid=OID_NIR_TEST, birth_first_names=["Jeane"])
    assert outcome.outcome == "linked" and outcome.patient == first
    assert IdentityCollision.objects.count() == 0


def test_same_ins_with_someone_else_s_traits_raises_a_collision():
    first = _create(ins=INS, ins_oid=OID_NIR_TEST).patient
    outcome = _create(local=("CH-X", "9"), ins=INS, ins_oid=OID_NIR_TEST, birth_name="Lebrun",
                      birth_first_names=["Paul"], sex="M", birth_date="1981-07-14", birth_place_insee="2A004")
    assert outcome.outcome == "linked" and outcome.patient == first
    collision = IdentityCollision.objects.get()
    assert collision.patient == first and collision.channel == "hl7" and "matricule INS" in collision.description


def test_close_but_uncertain_identity_goes_to_review():
    first = _create().patient
    outcome = _create(local=("CH-X", "2"), birth_first_names=["Jeanne"], birth_place_insee="14366", birth_date="1950-02-03")
    assert outcome.outcome == "review" and outcome.patient != first
    pair = PotentialDuplicate.objects.get()
    assert {pair.patient_a, pair.patient_b} == {first, outcome.patient} and pair.patient_a.pk < pair.patient_b.pk
    assert selectors.open_duplicates().count() == 1
    assert outcome.candidates[0].patient == first and outcome.candidates[0].decision == "review"


def test_different_person_is_a_new_identity():
    _create()
    outcome = _create(local=("CH-X", "3"), birth_name="Lebrun", birth_first_names=["Paul"], sex="M",
                      birth_date="1981-07-14")
    assert outcome.outcome == "created" and Patient.objects.count() == 2
    assert PotentialDuplicate.objects.count() == 0


def test_match_candidates_are_sorted_and_scored():
    a = _create().patient
    _create(local=("CH-X", "4"), birth_name="Lebrun", birth_first_names=["Paul"], sex="M", birth_date="1981-07-14")
    found = selectors.match_candidates(traits(birth_name="martin", birth_first_names="Jeanne Marie"))
    assert found[0].patient == a and found[0].decision == "link" and 0.9 < found[0].score <= 1
    assert all(x.score >= y.score for x, y in itertools.pairwise(found))


def test_known_local_id_returns_its_identity_without_creating():
    first = _create().patient
    again = _create(birth_first_names=["Jeanne", "Marie", "Louise"])
    assert again.outcome == "linked" and again.patient == first and Patient.objects.count() == 1


def test_local_ids_naming_two_identities_are_refused():
    _create()
    _create(local=("CH-X", "5"), birth_name="Lebrun", birth_first_names=["Paul"], sex="M", birth_date="1981-07-14")
    with pytest.raises(ValidationError) as error:
        services.create_identity(traits(), actor=None, channel="hl7", local_ids=[("CH-CAEN", "IPP1"), ("CH-X", "5")])
    assert "différentes" in error.value.message_dict["local_ids"][0]


def test_update_refreshes_keys_and_queues_duplicates(officer):
    a = _create().patient
    b = _create(local=("CH-X", "6"), birth_name="Lebrun", birth_first_names=["Paul"], sex="M", birth_date="1981-07-14").patient
    keys_before = set(IdentityMatchKey.objects.filter(patient=b).values_list("key", flat=True))
    services.update_identity(b, {"birth_name": "Martin", "birth_first_names": ["Jeanne"], "sex": "F",
                                 "birth_date": "1950-03-02"}, actor=officer, channel="web", reason="saisie corrigée")
    assert set(IdentityMatchKey.objects.filter(patient=b).values_list("key", flat=True)) != keys_before
    pair = PotentialDuplicate.objects.get()
    assert {pair.patient_a_id, pair.patient_b_id} == {a.pk, b.pk}
    assert Patient.objects.count() == 2  # an update never merges by itself


def test_update_refuses_bad_values_and_stores_nothing(officer):
    patient = _create().patient
    with pytest.raises(ValidationError) as error:
        services.update_identity(patient, {"birth_date": "1950-02-30", "sex": "X"}, actor=officer, channel="web")
    assert set(error.value.message_dict) == {"birth_date", "sex"}
    assert Patient.objects.get(pk=patient.pk).birth_date.isoformat() == "1950-03-02"
    assert IdentityHistory.objects.filter(patient=patient, action="update").count() == 0


def test_nir_inconsistent_with_traits_is_an_anomaly_that_closes_when_fixed(officer):
    wrong = nir_complete("1610299350123")  # male, 1961, February, born in Morocco
    patient = _create(ins=wrong, ins_oid=OID_NIR_TEST).patient
    codes = set(IdentityAnomaly.objects.filter(patient=patient, status="open").values_list("code", flat=True))
    assert codes == {"nir_sex", "nir_year", "nir_month", "nir_place"}
    services.update_identity(patient, {"ins": nir_complete("2500314118123")}, actor=officer, channel="web")
    assert not IdentityAnomaly.objects.filter(patient=patient, status="open").exists()


def test_nir_of_someone_born_abroad_and_incomplete_month():
    patient = _create(ins=nir_complete("2502199350123"), ins_oid=OID_NIR_TEST, birth_place_insee="99350").patient
    assert services.ins_anomalies(patient) == []


def test_change_local_identifier(officer):
    patient = _create().patient
    services.change_local_identifier("CH-CAEN", "IPP1", "IPP9", actor=officer, channel="hl7")
    assert selectors.find_by_local_id("CH-CAEN", "IPP9") == patient
    assert selectors.find_by_local_id("CH-CAEN", "IPP1") is None
    assert IdentityHistory.objects.filter(patient=patient, action="local_id").get().changes == {
        "local_id": ["IPP1^^^CH-CAEN", "IPP9^^^CH-CAEN"]}
    with pytest.raises(ValidationError) as error:
        services.change_local_identifier("CH-CAEN", "IPP1", "IPP2", actor=officer, channel="hl7")
    assert "inconnu" in error.value.message_dict["local_ids"][0]
    _create(local=("CH-CAEN", "IPP2"), birth_name="Lebrun", birth_first_names=["Paul"], sex="M", birth_date="1981-07-14")
    with pytest.raises(ValidationError) as error:
        services.change_local_identifier("CH-CAEN", "IPP9", "IPP2", actor=officer, channel="hl7")
    assert "déjà utilisé" in error.value.message_dict["local_ids"][0]
    assert LocalIdentifier.objects.filter(patient=patient).get().value == "IPP9"
