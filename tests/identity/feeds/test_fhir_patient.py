"""FHIR Patient (FR Core INS) and Patient/$match, with a connector token and with user sessions."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from connectors.tokens import connector_token as _token
from enrs.connectors.scopes import IDENTITY_READ, IDENTITY_WRITE
from enrs.core.models import AccessEvent
from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.identity import selectors
from enrs.identity.fhir import BIRTH_LIST_GIVEN_NAME_URL, MATCH_GRADE_URL, RELIABILITY_URL, STATUS_SYSTEM
from enrs.identity.models import OID_NIR_TEST, Patient

from .conftest import AUTHORITY_OID, NIR, NIR_BAD_KEY

FHIR_JSON = "application/fhir+json"
IPP_SYSTEM = f"urn:oid:{AUTHORITY_OID}"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()




@pytest.fixture
def auth(client, sender):
    return {"HTTP_AUTHORIZATION": "Bearer " + _token(client, sender.organisation, [IDENTITY_READ, IDENTITY_WRITE])}


def patient_body(*, ipp="IPP-F1", family="MARTIN", given="Louise Anne", birth_date="1980-05-12", gender="female",
                 place="14118", status="VALI", nir=None, **extra) -> dict:
    identifiers = [{"system": IPP_SYSTEM, "value": ipp}]
    if nir:
        identifiers.append({"system": f"urn:oid:{OID_NIR_TEST}", "value": nir,
                            "type": {"coding": [{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "INS-NIR-TEST"}]}})
    return {
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{"use": "official", "family": family, "given": given.split()[:1],
                  "extension": [{"url": BIRTH_LIST_GIVEN_NAME_URL, "valueString": given}]}],
        "gender": gender,
        "birthDate": birth_date,
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
             "valueAddress": {"extension": [{"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                                             "valueCoding": {"code": place}}]}},
            {"url": RELIABILITY_URL, "extension": [{"url": "identityStatus", "valueCoding": {"system": STATUS_SYSTEM, "code": status}}]},
        ],
        **extra,
    }


def post(client, body, auth, url=None):
    return client.post(url or reverse("fhir:type", kwargs={"resource_type": "Patient"}), json.dumps(body), content_type=FHIR_JSON, **auth)


def match(client, resource, auth, **params):
    parameters = [{"name": "resource", "resource": resource}]
    parameters += [{"name": "onlyCertainMatches", "valueBoolean": v} for k, v in params.items() if k == "only_certain"]
    parameters += [{"name": "count", "valueInteger": v} for k, v in params.items() if k == "count"]
    url = reverse("fhir:operation", kwargs={"resource_type": "Patient", "operation": "match"})
    return client.post(url, json.dumps({"resourceType": "Parameters", "parameter": parameters}), content_type=FHIR_JSON, **auth)


def test_connector_creates_reads_and_searches_a_patient(client, auth):
    response = post(client, patient_body(), auth)
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"].endswith(f"/Patient/{created['id']}")
    assert created["name"][0]["family"] == "MARTIN" and created["birthDate"] == "1980-05-12"
    assert created["identifier"] == [{"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PI"}]}, "system": IPP_SYSTEM, "value": "IPP-F1"}]
    patient = Patient.objects.get(pk=created["id"])
    assert patient.identity_status == "VALI" and selectors.local_ids_of(patient) == [(AUTHORITY_OID, "IPP-F1")]
    read = client.get(reverse("fhir:instance", kwargs={"resource_type": "Patient", "resource_id": created["id"]}), **auth)
    assert read.status_code == 200 and read.json()["gender"] == "female"
    assert AccessEvent.objects.filter(patient_id=patient.pk, channel="fhir", action="read").exists()
    found = client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), {"identifier": f"{IPP_SYSTEM}|IPP-F1"}, **auth)
    assert found.json()["total"] == 1
    by_name = client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), {"family": "martin", "birthdate": "1980-05-12", "gender": "female"}, **auth)
    assert by_name.json()["total"] == 1


def test_the_ins_is_exposed_only_for_a_qualified_identity(client, auth):
    qualified = post(client, patient_body(nir=NIR, status="QUAL"), auth).json()
    ins = [i for i in qualified["identifier"] if i["system"] == f"urn:oid:{OID_NIR_TEST}"]
    assert ins and ins[0]["value"] == NIR and ins[0]["type"]["coding"][0]["code"] == "INS-NIR-TEST"
    assert qualified["meta"]["profile"] == ["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"]
    search = client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), {"identifier": f"urn:oid:{OID_NIR_TEST}|{NIR}"}, **auth)
    assert search.json()["total"] == 1
    Patient.objects.filter(pk=qualified["id"]).update(identity_status="VALI")
    read = client.get(reverse("fhir:instance", kwargs={"resource_type": "Patient", "resource_id": qualified["id"]}), **auth).json()
    assert all(i["system"] != f"urn:oid:{OID_NIR_TEST}" for i in read["identifier"])
    assert client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), {"identifier": f"urn:oid:{OID_NIR_TEST}|{NIR}"}, **auth).json()["total"] == 0


@pytest.mark.parametrize(
    ("overrides", "expression"),
    [
        ({"nir": NIR_BAD_KEY, "status": "QUAL"}, "Patient.identifier[1].value"),
        ({"birth_date": "2999-01-01"}, "Patient.birthDate"),
        ({"place": "00000"}, "Patient.extension[0].valueAddress"),
        ({"family": ""}, "Patient.name[0].family"),
        ({"gender": "unknown", "family": "M4RT1N"}, "Patient.name[0].family"),
    ],
)
def test_invalid_traits_are_refused_naming_the_element(client, auth, overrides, expression):
    body = patient_body(**overrides)
    if body["name"][0]["family"] == "":
        del body["name"][0]["family"]
    response = post(client, body, auth)
    assert response.status_code == 422, response.content
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(expression in issue.get("expression", []) for issue in outcome["issue"]), outcome
    assert not Patient.objects.exists()


def test_create_without_an_ipp_of_the_organisation_is_refused(client, auth):
    body = patient_body()
    body["identifier"] = [{"system": "urn:oid:1.2.3.4.5", "value": "X1"}]
    response = post(client, body, auth)
    assert response.status_code == 422 and not Patient.objects.exists()


def test_connector_update(client, auth):
    created = post(client, patient_body(), auth).json()
    body = patient_body(id=created["id"])
    body["name"].append({"use": "usual", "family": "DURAND", "given": ["Lou"]})
    url = reverse("fhir:instance", kwargs={"resource_type": "Patient", "resource_id": created["id"]})
    response = client.put(url, json.dumps(body), content_type=FHIR_JSON, **auth)
    assert response.status_code == 200, response.content
    assert Patient.objects.get(pk=created["id"]).used_name == "DURAND"
    wrong_id = client.put(url, json.dumps({**body, "id": "999"}), content_type=FHIR_JSON, **auth)
    assert wrong_id.status_code == 400


def test_another_organisations_connector_does_not_see_the_patient(client, auth, sender):
    created = post(client, patient_body(), auth).json()
    other = directory.upsert_organisation({"finess": finess_complete("50000777"), "name": "Clinique Autre", "kind": "CLINIQUE"}).obj
    other_auth = {"HTTP_AUTHORIZATION": "Bearer " + _token(client, other, [IDENTITY_READ, IDENTITY_WRITE])}
    url = reverse("fhir:instance", kwargs={"resource_type": "Patient", "resource_id": created["id"]})
    assert client.get(url, **other_auth).status_code == 404
    assert client.put(url, json.dumps(patient_body(id=created["id"])), content_type=FHIR_JSON, **other_auth).status_code == 404


def test_scopes_and_authentication(client, sender):
    read_only = {"HTTP_AUTHORIZATION": "Bearer " + _token(client, sender.organisation, [IDENTITY_READ])}
    assert post(client, patient_body(), read_only).status_code == 403
    assert client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"})).status_code == 401
    assert client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_match_returns_scored_candidates_with_match_grade(client, auth):
    post(client, patient_body(), auth)
    post(client, patient_body(ipp="IPP-F2", family="LEGRAND", given="Paul", gender="male", birth_date="1970-01-01"), auth)
    probe = {"resourceType": "Patient", "name": [{"family": "Martin", "given": ["Louise"]}], "gender": "female", "birthDate": "1980-05-12",
             "extension": patient_body()["extension"][:1]}
    response = match(client, probe, auth)
    assert response.status_code == 200, response.content
    bundle = response.json()
    assert bundle["type"] == "searchset" and bundle["entry"]
    best = bundle["entry"][0]
    assert best["resource"]["name"][0]["family"] == "MARTIN"
    assert 0 <= best["search"]["score"] <= 1
    grade = best["search"]["extension"][0]
    assert grade["url"] == MATCH_GRADE_URL and grade["valueCode"] in {"certain", "probable", "possible"}
    assert all(entry["resource"]["name"][0]["family"] != "LEGRAND" or entry["search"]["extension"][0]["valueCode"] != "certain" for entry in bundle["entry"])
    certain = match(client, probe, auth, only_certain=True).json()
    assert all(e["search"]["extension"][0]["valueCode"] == "certain" for e in certain.get("entry", []))


def test_match_bad_input_is_an_operation_outcome(client, auth):
    url = reverse("fhir:operation", kwargs={"resource_type": "Patient", "operation": "match"})
    for body in ("{", json.dumps({"resourceType": "Patient"}), json.dumps({"resourceType": "Parameters", "parameter": [{"name": "count", "valueInteger": 0}]})):
        response = client.post(url, body, content_type=FHIR_JSON, **auth)
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"
    unknown = client.post(reverse("fhir:operation", kwargs={"resource_type": "Patient", "operation": "everything"}), "{}", content_type=FHIR_JSON, **auth)
    assert unknown.status_code == 404


def test_sessions_read_through_the_permission_api(client, auth, officer, outsider):
    created = post(client, patient_body(), auth).json()
    url = reverse("fhir:instance", kwargs={"resource_type": "Patient", "resource_id": created["id"]})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("fhir:type", kwargs={"resource_type": "Patient"}), {"family": "martin"}).json()["total"] == 0
    assert post(client, patient_body(ipp="IPP-S"), {}).status_code == 403
    client.force_login(officer)
    assert client.get(url).status_code == 200
    assert AccessEvent.objects.filter(patient_id=int(created["id"]), channel="fhir", actor_id=officer.pk).exists()
    probe = {"resourceType": "Patient", "name": [{"family": "MARTIN", "given": ["Louise"]}], "gender": "female", "birthDate": "1980-05-12"}
    assert match(client, probe, {}).json()["entry"][0]["resource"]["id"] == created["id"]


def test_capability_statement_lists_patient_and_match(client):
    statement = client.get(reverse("fhir:metadata")).json()
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {i["code"] for i in patient["interaction"]} == {"read", "search-type", "create", "update"}
    assert patient["operation"][0]["name"] == "match"
    assert {"identifier", "family", "given", "birthdate", "gender"} <= {p["name"] for p in patient["searchParam"]}
