"""INSi adapter: the local simulator answers found / not found / several, and the identity takes the INS."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from enrs.core.validators import nir_is_valid
from enrs.identity import insi, services
from enrs.identity.models import IdentityAnomaly, IdentityHistory, Patient

from .conftest import traits

pytestmark = pytest.mark.django_db


def test_the_test_file_holds_valid_synthetic_ins():
    simulator = insi.LocalInsiSimulator()
    assert len(simulator.identities) >= 8
    for identity in simulator.identities:
        assert nir_is_valid(identity.matricule) and identity.oid == "1.2.250.1.213.1.4.10"
        services.clean_traits({"birth_name": identity.birth_name, "birth_first_names": list(identity.birth_first_names),
                               "birth_date": identity.birth_date, "sex": identity.sex,
                               "birth_place_insee": identity.birth_place_insee})


def test_simulator_answers_like_insi():
    simulator = insi.LocalInsiSimulator()
    found = simulator.search(insi.InsiQuery("testins", "Marie", "1972-03-14", "F"))
    assert found.code == "00" and found.identity.birth_first_names == ("Marie", "Claire", "Anne")
    assert simulator.search(insi.InsiQuery("TESTINS", "Marie", "1972-03-15", "F")).code == "01"
    several = simulator.search(insi.InsiQuery("HOMONYME-TEST", "Julie", "1995-01-15", "F"))
    assert several.code == "02" and several.identity is None
    corsica = simulator.search(insi.InsiQuery("CASANOVA-TEST", "Lucia", "1990-07-21", "F", "2A004"))
    assert corsica.found and corsica.identity.matricule[5:7] == "2A"
    check = simulator.verify(found.identity.matricule, found.identity.oid, insi.InsiQuery("TESTINS", "Marie", "1972-03-14", "F"))
    assert check.found and simulator.verify(found.identity.matricule, found.identity.oid,
                                            insi.InsiQuery("TESTINS", "Paul", "1972-03-14", "F")).code == "01"


def test_call_insi_retrieves_the_ins_and_then_a_document_qualifies(officer):
    patient = services.create_identity(
        traits(birth_name="Testins", birth_first_names=["Marie"], birth_date="1972-03-14"), actor=None, channel="web"
    ).patient
    response = services.call_insi(patient, actor=officer, channel="web")
    patient = Patient.objects.get(pk=patient.pk)
    assert response.code == "00" and patient.identity_status == "RECUP"
    assert patient.first_names == ["Marie", "Claire", "Anne"] and patient.ins_matricule == response.identity.matricule
    assert patient.insi_result == "00" and patient.insi_called_at is not None and patient.collection_method == "INSI"
    assert patient.shared_ins == ""
    change = IdentityHistory.objects.filter(patient=patient).first()
    assert change.changes["birth_first_names"] == ["Marie", "Marie Claire Anne"]
    assert change.changes["identity_status"] == ["PROV", "RECUP"]
    patient = services.update_identity(patient, {"document_type": "CN"}, actor=officer, channel="web")
    assert patient.identity_status == "QUAL" and patient.shared_ins == response.identity.matricule


def test_call_insi_not_found_and_several(officer):
    lost = services.create_identity(traits(), actor=None, channel="web").patient
    assert services.call_insi(lost, actor=officer, channel="web").code == "01"
    lost.refresh_from_db()
    assert lost.identity_status == "PROV" and lost.insi_result == "01" and lost.ins_matricule == ""
    twin = services.create_identity(
        traits(birth_name="Homonyme-Test", birth_first_names=["Julie"], birth_date="1995-01-15", birth_place_insee="14047"),
        actor=None, channel="web",
    ).patient
    assert services.call_insi(twin, actor=officer, channel="web").code == "02"
    assert IdentityAnomaly.objects.filter(patient=twin, code="insi").exists()


class _Unreachable(insi.InsiClient):
    def search(self, query):
        raise ConnectionError("INSi injoignable")

    def verify(self, matricule, oid, query):
        raise ConnectionError("INSi injoignable")


def test_get_client_is_configurable(settings):
    assert isinstance(insi.get_client(), insi.LocalInsiSimulator)
    settings.ENRS_INSI_CLIENT = f"{_Unreachable.__module__}._Unreachable"
    assert isinstance(insi.get_client(), _Unreachable)


def test_unreachable_insi_is_a_french_error_and_changes_nothing(officer):
    patient = services.create_identity(traits(), actor=None, channel="web").patient
    with pytest.raises(ValidationError) as error:
        services.call_insi(patient, actor=officer, channel="web", client=_Unreachable())
    assert "ne répond pas" in error.value.message_dict["insi"][0]
    patient.refresh_from_db()
    assert patient.insi_called_at is None and patient.insi_result == ""
