"""The directory's resources follow FR Core 2.0.1 and validate against fhir.resources R4B;
the CapabilityStatement describes them from the registry."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhirkit import fhir_get, pk, validate

from enrs.directory.nomenclatures import G15_SYSTEM, R38_SYSTEM

pytestmark = pytest.mark.django_db
V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"


def _read(client, type_name, obj) -> dict:
    status, body = fhir_get(client, f"/fhir/{type_name}/{obj.pk}")
    assert status == 200
    validate(body)
    return body


def _identifiers(resource) -> dict[str, tuple[str, str]]:
    return {i["system"]: (i["value"], i["type"]["coding"][0]["code"]) for i in resource["identifier"]}


def test_legal_entity(client, dirdata):
    body = _read(client, "Organization", dirdata.chu)
    finess = dirdata.chu.finess
    assert _identifiers(body) == {
        "https://finess.esante.gouv.fr": (finess, "FINEJ"),
        "urn:oid:1.2.250.1.71.4.2.2": ("1" + finess, "IDNST"),
        "https://sirene.fr": (dirdata.chu.siret, "SIRET"),
    }
    assert all(i["type"]["coding"][0]["system"] == V2_0203 for i in body["identifier"])
    assert body["name"] == "CHU de Caen Normandie" and body["alias"] == ["CHU Caen"] and body["active"] is True
    address = body["address"][0]
    assert address["line"] == ["Avenue de la Côte de Nacre"] and address["postalCode"] == "14000"
    assert address["city"] == "Caen" and address["district"] == "14118"
    assert address["extension"][0]["valueCoding"]["code"] == "14118"
    assert {"system": "phone", "value": "0231000000", "use": "work"} in body["telecom"]
    codes = {(c["coding"][0]["system"].rsplit("/", 1)[-1], c["coding"][0]["code"]) for c in body["type"]}
    assert {("fr-core-cs-v2-3307", "LEGAL-ENTITY"), ("TRE-R66-CategorieEtablissement", "101"), ("type-structure", "CHU")} <= codes
    assert "partOf" not in body


def test_establishment_and_organisation_without_finess(client, dirdata):
    nacre = _read(client, "Organization", dirdata.nacre)
    assert _identifiers(nacre)["https://finess.esante.gouv.fr"][1] == "FINEG"
    assert nacre["partOf"] == {"reference": f"Organization/{dirdata.chu.pk}", "display": "CHU de Caen Normandie"}
    msp = _read(client, "Organization", dirdata.msp)
    assert "identifier" not in msp
    ehpad = _read(client, "Organization", dirdata.ehpad)
    assert ehpad["active"] is False


def test_practitioner(client, dirdata):
    body = _read(client, "Practitioner", dirdata.lefevre)
    rpps = dirdata.lefevre.rpps
    assert _identifiers(body) == {
        "urn:oid:1.2.250.1.71.4.2.1": ("8" + rpps, "IDNPS"),
        "https://rpps.esante.gouv.fr": (rpps, "RPPS"),
    }
    assert body["name"] == [{"use": "usual", "family": "Lefèvre", "given": ["Hélène"], "suffix": ["DR"]}]
    assert body["qualification"][0]["code"]["coding"][0] == {"system": G15_SYSTEM, "code": "10", "display": "Médecin"}
    mail = body["telecom"][0]
    assert mail["system"] == "email" and mail["value"] == "helene.lefevre@chu-caen.mssante.fr"
    assert mail["extension"][0]["valueCoding"]["code"] == "MSSANTE"
    martin = _read(client, "Practitioner", dirdata.martin)
    assert _identifiers(martin) == {"urn:oid:1.2.250.1.71.4.2.1": ("0141234567", "IDNPS")}
    assert martin["name"][0]["prefix"] == ["M"] and "suffix" not in martin["name"][0]


def test_practitioner_role(client, dirdata):
    body = _read(client, "PractitionerRole", dirdata.role_memorial)
    assert body["practitioner"]["reference"] == f"Practitioner/{dirdata.lefevre.pk}"
    assert body["organization"]["reference"] == f"Organization/{dirdata.memorial.pk}"
    assert body["specialty"][0]["coding"][0] == {"system": R38_SYSTEM, "code": "SM04", "display": "Cardiologie et maladies vasculaires"}
    assert body["period"] == {"start": "2018-05-01", "end": "2019-12-31"}
    assert body["code"][0]["coding"][0]["code"] == "L"
    msp = _read(client, "PractitionerRole", dirdata.role_msp)
    assert [c["coding"][0]["code"] for c in msp["code"]] == ["FON-05", "L"] and "period" not in msp


def test_every_searched_resource_validates(client, dirdata):
    for type_name in ("Organization", "Practitioner", "PractitionerRole"):
        status, bundle = fhir_get(client, f"/fhir/{type_name}?_count=50")
        assert status == 200
        validate(bundle)
        assert bundle["total"] == len(bundle["entry"]) > 0
        for entry in bundle["entry"]:
            validate(entry["resource"])


def test_capability_statement_lists_the_directory(client):
    status, body = fhir_get(client, "/fhir/metadata")
    assert status == 200
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1" and body["kind"] == "instance"
    assert "application/fhir+json" in body["format"]
    rest = body["rest"][0]
    assert rest["mode"] == "server"
    resources = {r["type"]: r for r in rest["resource"]}
    assert {"Organization", "Practitioner", "PractitionerRole"} <= set(resources)
    role = resources["PractitionerRole"]
    assert {i["code"] for i in role["interaction"]} == {"read", "search-type"}
    params = {p["name"]: p["type"] for p in role["searchParam"]}
    assert params == {"_id": "token", "_lastUpdated": "date", "practitioner": "reference", "organization": "reference",
                      "specialty": "token", "role": "token", "active": "token", "date": "date"}
    assert all(p.get("documentation") for p in role["searchParam"])
    assert set(role["searchInclude"]) == {"PractitionerRole:practitioner", "PractitionerRole:organization"}
    org_params = {p["name"]: p["type"] for p in resources["Organization"]["searchParam"]}
    assert {"identifier": "token", "name": "string", "address-city": "string", "address-postalcode": "string",
            "type": "token", "partof": "reference", "active": "token"}.items() <= org_params.items()
    prac_params = {p["name"] for p in resources["Practitioner"]["searchParam"]}
    assert {"identifier", "family", "given", "name", "active"} <= prac_params


def test_capability_statement_options(client):
    assert fhir_get(client, "/fhir/metadata?mode=full")[0] == 200
    status, body = fhir_get(client, "/fhir/metadata?mode=terminology")
    assert status == 400 and body["issue"][0]["expression"] == ["mode"]
    assert fhir_get(client, "/fhir/metadata?couleur=bleu")[0] == 400


def test_base_url_setting_is_used_in_links(client, dirdata, settings):
    settings.ENRS_FHIR_BASE_URL = "https://enrs.example.test/fhir/"
    _status, bundle = fhir_get(client, "/fhir/Organization?name=nacre")
    assert bundle["entry"][0]["fullUrl"] == f"https://enrs.example.test/fhir/Organization/{pk(dirdata.nacre)}"
    assert all(link["url"].startswith("https://enrs.example.test/fhir/Organization?") for link in bundle["link"])
