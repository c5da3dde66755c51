"""RNIV statuses: the grid, the transitions, doubtful/fictitious ⇒ PROV, INS shared only when QUAL, history."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from enrs.core.validators import nir_complete
from enrs.identity import services
from enrs.identity.models import OID_NIR_TEST, IdentityHistory, IdentityStatus, Patient

from .conftest import traits

pytestmark = pytest.mark.django_db
INS = nir_complete("2500314118123")


def test_status_grid():
    grid = {(False, False): "PROV", (True, False): "RECUP", (False, True): "VALI", (True, True): "QUAL"}
    for (insi, document), expected in grid.items():
        assert services.rniv_status(insi_verified=insi, high_trust_checked=document) == expected
        for code in ("DOUT", "FICT"):
            assert services.rniv_status(insi_verified=insi, high_trust_checked=document, comment_codes=[code]) == "PROV"
    assert services.rniv_status(insi_verified=False, high_trust_checked=False, collection_method="AV") == "QUAL"


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(IdentityStatus.values, 2)))
def test_transitions(old, new):
    allowed = {("PROV", "RECUP"), ("PROV", "VALI"), ("RECUP", "QUAL"), ("VALI", "QUAL"), ("PROV", "QUAL")}
    downgrades = {(s, "PROV") for s in ("RECUP", "VALI", "QUAL")} | {("QUAL", "VALI"), ("QUAL", "RECUP")}
    if (old, new) in allowed | downgrades:
        services.check_transition(old, new)
    else:
        with pytest.raises(ValidationError) as error:
            services.check_transition(old, new)
        assert "grille du RNIV" in error.value.message_dict["identity_status"][0]


def _identity(**evidence):
    return services.create_identity(
        traits(ins=INS, ins_oid=OID_NIR_TEST), actor=None, channel="web", evidence=evidence or None
    ).patient


def test_prov_to_vali_to_qual_through_evidence_with_history(officer):
    patient = _identity()
    assert patient.identity_status == "PROV" and patient.shared_ins == ""
    patient = services.update_identity(patient, {"document_type": "PA"}, actor=officer, channel="web", reason="guichet")
    assert patient.identity_status == "VALI" and patient.document_high_trust and patient.shared_ins == ""
    patient = services.update_identity(patient, {"insi_verified": True, "insi_result": "00"}, actor=officer, channel="web")
    assert patient.identity_status == "QUAL" and patient.shared_ins == INS
    history = list(IdentityHistory.objects.filter(patient=patient).order_by("pk"))
    assert [h.action for h in history] == ["create", "status", "status"]
    assert history[1].changes["identity_status"] == ["PROV", "VALI"] and history[1].reason == "guichet"
    assert history[1].actor == officer and history[1].channel == "web"
    assert history[2].changes["identity_status"] == ["VALI", "QUAL"]


def test_low_trust_document_does_not_validate(officer):
    patient = services.update_identity(_identity(), {"document_type": "AN"}, actor=officer, channel="web")
    assert patient.identity_status == "PROV" and not patient.document_high_trust


def test_doubtful_forces_prov_and_hides_the_ins(officer):
    patient = _identity(identity_status="QUAL")
    assert patient.identity_status == "QUAL" and patient.shared_ins == INS
    patient = services.update_identity(patient, {"comment_codes": ["DOUT"]}, actor=officer, channel="web", reason="doute")
    assert patient.identity_status == "PROV" and patient.shared_ins == "" and patient.ins_matricule == INS


def test_doubtful_identity_cannot_be_claimed_qualified():
    with pytest.raises(ValidationError) as error:
        _identity(identity_status="QUAL", comment_codes=["FICT"])
    assert "provisoire" in error.value.message_dict["identity_status"][0]
    with pytest.raises(ValidationError) as error:
        _identity(comment_codes=["FICT", "DOUT"])
    assert "à la fois" in error.value.message_dict["comment_codes"][0]
    assert Patient.objects.count() == 0


def test_recup_cannot_become_vali(officer):
    patient = _identity(identity_status="RECUP")
    with pytest.raises(ValidationError) as error:
        services.update_identity(patient, {"insi_verified": False, "document_type": "CN"}, actor=officer, channel="web")
    assert "RECUP" in error.value.message_dict["identity_status"][0]
    assert Patient.objects.get(pk=patient.pk).identity_status == "RECUP"


def test_insi_status_needs_an_ins():
    with pytest.raises(ValidationError) as error:
        services.create_identity(traits(), actor=None, channel="hl7", evidence={"identity_status": "RECUP"})
    assert "matricule INS" in error.value.message_dict["ins"][0]


def test_changing_a_strict_trait_drops_the_insi_criterion(officer):
    patient = _identity(identity_status="QUAL")
    patient = services.update_identity(patient, {"birth_name": "Martin-Durand"}, actor=officer, channel="web", reason="x")
    assert patient.identity_status == "VALI" and not patient.insi_verified
    last = IdentityHistory.objects.filter(patient=patient).first()
    assert last.action == "update" and last.changes["birth_name"] == ["MARTIN", "MARTIN-DURAND"]
    assert last.changes["identity_status"] == ["QUAL", "VALI"]


def test_unknown_evidence_codes_are_refused():
    with pytest.raises(ValidationError) as error:
        _identity(collection_method="XX", document_type="ZZ", insi_result="07", comment_codes=["NOPE"])
    assert set(error.value.message_dict) == {"collection_method", "document_type", "insi_result", "comment_codes"}


def test_claimed_status_must_match_the_evidence():
    with pytest.raises(ValidationError) as error:
        _identity(identity_status="PROV", collection_method="AV")
    assert "ne correspond pas" in error.value.message_dict["identity_status"][0]


def test_unchanged_update_writes_nothing(officer):
    patient = _identity()
    count = IdentityHistory.objects.count()
    services.update_identity(patient, {"birth_name": "martin"}, actor=officer, channel="web")
    assert IdentityHistory.objects.count() == count


def test_admin_edit_of_a_strict_trait_is_historised_and_drops_insi(client):
    from django.urls import reverse

    from .conftest import make_user

    admin = make_user("agency", is_staff=True, is_superuser=True)
    patient = _identity(identity_status="QUAL")
    client.force_login(admin)
    url = reverse("admin:identity_patient_change", args=[patient.pk])
    data = {"birth_name": "MARTIN-DURAND", "birth_first_names": patient.birth_first_names, "birth_date": "1950-03-02",
            "sex": "F", "birth_place_insee": "14118", "used_name": "", "used_first_name": "", "commune_insee": "",
            "city": "", "email": "", "phone": "", "source": patient.source}
    assert client.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert patient.birth_name == "MARTIN-DURAND" and patient.identity_status == "VALI"
    change = IdentityHistory.objects.filter(patient=patient, channel="admin").get()
    assert change.changes["birth_name"] == ["MARTIN", "MARTIN-DURAND"] and change.actor == admin
