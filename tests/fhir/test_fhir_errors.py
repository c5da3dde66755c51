"""Every failure under /fhir/ is an OperationOutcome with the right status, in French."""

from __future__ import annotations

import json
import logging

import pytest
from fhir.resources.R4B.basic import Basic
from fhirkit import FHIR_JSON, assert_outcome, fhir_get

from enrs.directory.models import Organisation
from enrs.fhir.errors import FhirError
from enrs.fhir.registry import ResourceType, registry
from enrs.fhir.resources import parse_body
from enrs.fhir.responses import fhir_response

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("couleur=bleu", "couleur"),
        ("name:phonetic=x", "name:phonetic"),
        ("organization.name=x", "organization.name"),
        ("_summary=count", "_summary"),
        ("_revinclude=PractitionerRole:organization", "_revinclude"),
        ("_count=abc", "_count"),
        ("_count=-1", "_count"),
        ("_count=1.5", "_count"),
        ("_count=1&_count=2", "_count"),
        ("_page=0", "_page"),
        ("_page=x", "_page"),
        ("_page=99999999999999999999", "_page"),
        ("_sort=couleur", "_sort"),
        ("_include=Organization:endpoint", "_include"),
        ("_include:iterate=Organization:partof", "_include:iterate"),
        ("_total=maybe", "_total"),
        ("_lastUpdated=2024-13-01", "_lastUpdated"),
        ("_lastUpdated=xx2024", "_lastUpdated"),
        ("_lastUpdated=ap2024", "_lastUpdated"),
        ("_lastUpdated=2024-02-30", "_lastUpdated"),
        ("active=peut-être", "active"),
        ("identifier=a|b|c", "identifier"),
        ("partof=Practitioner/1", "partof"),
        ("partof=Organization/%C3%A9", "partof"),
        ("_id=a_b", "_id"),
        ("name=%00", "name"),
        ("name=" + "x" * 1001, "name"),
        ("_pretty=oui", "_pretty"),
        ("address-city=" + ",".join(["caen"] * 51), "address-city"),
        ("name=" + " ".join(["mot"] * 11), "name"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(client, query, parameter):
    status, body = fhir_get(client, f"/fhir/Organization?{query}")
    assert status == 400
    issue = assert_outcome(body, expression=parameter if parameter != "_pretty" else None)
    assert issue["code"] in ("invalid", "not-supported")


def test_all_problems_are_reported_at_once(client):
    status, body = fhir_get(client, "/fhir/Organization?couleur=bleu&_count=abc&_lastUpdated=hier")
    assert status == 400
    expressions = {e for issue in body["issue"] for e in issue.get("expression", [])}
    assert expressions == {"couleur", "_count", "_lastUpdated"}
    assert all("Paramètre" in i["diagnostics"] or "Valeur" in i["diagnostics"] for i in body["issue"])


def test_read_errors(client, dirdata):
    for path in ("/fhir/Organization/999999", "/fhir/Organization/99999999999999999999999", "/fhir/Organization/abc"):
        status, body = fhir_get(client, path)
        assert status == 404
        assert "introuvable" in assert_outcome(body, "not-found")["diagnostics"]
    status, body = fhir_get(client, f"/fhir/Organization/{dirdata.chu.pk}?couleur=bleu")
    assert status == 400 and assert_outcome(body, "not-supported", "couleur")
    status, _body = fhir_get(client, f"/fhir/Organization/{dirdata.chu.pk}?couleur=bleu", headers={"Prefer": "handling=lenient"})
    assert status == 200


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/fhir/", 404, "not-found"),
        ("/fhir/Patientes", 404, "not-supported"),
        ("/fhir/Nope/1", 404, "not-supported"),
        ("/fhir/organization", 404, "not-found"),
        ("/fhir/Organization/1/$everything", 404, "not-found"),
        ("/fhir/Organization/a%20b", 404, "not-found"),
        ("/fhir/rien/du/tout", 404, "not-found"),
        ("/fhir/Organization/_history", 405, "not-supported"),
        ("/fhir/Organization/1/_history/2", 405, "not-supported"),
        ("/fhir/_history", 405, "not-supported"),
    ],
)
def test_unknown_paths_and_types_are_operation_outcomes(client, path, status, code):
    got, body = fhir_get(client, path)
    assert got == status
    assert_outcome(body, code)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("post", "/fhir/Organization", "GET, HEAD"),
        ("put", "/fhir/Organization/1", "GET, HEAD"),
        ("patch", "/fhir/Organization/1", "GET, HEAD"),
        ("delete", "/fhir/Organization/1", "GET, HEAD"),
        ("options", "/fhir/Organization", "GET, HEAD"),
        ("post", "/fhir/metadata", "GET, HEAD"),
        ("post", "/fhir/", ""),
        ("put", "/fhir/Organization/_search", "GET, HEAD, POST"),
    ],
)
def test_unsupported_interactions_answer_405(client, method, path, allow):
    response = getattr(client, method)(path, "{}", content_type="application/fhir+json")
    assert response.status_code == 405
    assert response["Content-Type"] == FHIR_JSON
    assert response["Allow"] == allow
    assert_outcome(response.json(), "not-supported")


def test_post_search_needs_a_form(client):
    response = client.post("/fhir/Organization/_search", json.dumps({"name": "x"}), content_type="application/json")
    assert response.status_code == 415
    assert_outcome(response.json(), "not-supported")


# --- Content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("_format=xml", None),
        ("_format=application/fhir%2Bxml", None),
        ("_format=text/xml", None),
        ("_format=html", None),
        ("", "application/fhir+xml"),
        ("", "application/xml, text/xml;q=0.9"),
        ("", "text/html"),
        ("", "application/fhir+json;q=0, application/fhir+xml"),
        ("_format=xml", "application/fhir+json"),  # _format wins
    ],
)
def test_anything_but_json_is_406(client, query, accept):
    headers = {"Accept": accept} if accept else {}
    for path in ("/fhir/Organization", "/fhir/metadata", "/fhir/Organization/1"):
        status, body = fhir_get(client, f"{path}?{query}", headers=headers)
        assert status == 406
        assert "JSON" in assert_outcome(body, "not-supported")["diagnostics"]


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", None),
        ("", "application/fhir+json"),
        ("", "application/json"),
        ("", "application/fhir+json; fhirVersion=4.0"),
        ("", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),  # a browser
        ("_format=json", "application/fhir+xml"),
        ("_format=application/fhir%2Bjson", None),
        ("_format=application/json", None),
    ],
)
def test_json_is_served_with_the_fhir_media_type(client, query, accept):
    headers = {"Accept": accept} if accept else {}
    status, body = fhir_get(client, f"/fhir/Organization?{query}", headers=headers)
    assert status == 200 and body["resourceType"] == "Bundle"


def test_pretty_printing_and_head(client, dirdata):
    response = client.get(f"/fhir/Organization/{dirdata.chu.pk}?_pretty=true")
    assert response.status_code == 200 and b'\n  "resourceType"' in response.content
    assert "Last-Modified" in response
    head = client.head(f"/fhir/Organization/{dirdata.chu.pk}")
    assert head.status_code == 200 and head.content == b""


# --- Unexpected errors -------------------------------------------------------------------


def test_unexpected_errors_are_logged_and_answered_500(client, dirdata, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("enrs.fhir.views.build_resource", broken)
    with caplog.at_level(logging.ERROR, logger="enrs.fhir.views"):
        status, body = fhir_get(client, f"/fhir/Organization/{dirdata.chu.pk}")
    assert status == 500
    issue = assert_outcome(body, "exception")
    assert issue["severity"] == "fatal" and "boom" not in issue["diagnostics"]
    assert any("boom" in (record.exc_text or "") or record.exc_info for record in caplog.records)


def test_a_mapping_that_returns_the_wrong_type_is_a_500(client, dirdata):
    from fhir.resources.R4B.organization import Organization

    rt = ResourceType(
        name="Basic",
        queryset=lambda request: Organisation.objects.all(),
        to_fhir=lambda obj, request: Organization(id=str(obj.pk), name=obj.name),
    )
    registry.register(rt)
    try:
        for path in (f"/fhir/Basic/{dirdata.chu.pk}", "/fhir/Basic"):
            status, body = fhir_get(client, path)
            assert status == 500
            assert_outcome(body, "exception")
    finally:
        registry.unregister("Basic")


def test_too_many_parameters_is_a_400(client):
    query = "&".join(f"p{i}=1" for i in range(1100))
    status, body = fhir_get(client, f"/fhir/Organization?{query}")
    assert status == 400
    assert_outcome(body, "invalid")


# --- Writes: the body parser (415, 400, 422) through a handler plugged on Basic ---------


@pytest.fixture
def basic_type(db):
    def create(request, rt, resource_id):
        resource = parse_body(request, rt)
        return fhir_response(resource, status=201)

    rt = ResourceType(
        name="Basic",
        queryset=lambda request: Organisation.objects.all(),
        to_fhir=lambda obj, request: Basic(id=str(obj.pk), code={"text": obj.name}),
        interactions=frozenset({"read", "search-type", "create"}),
        handlers={"create": create},
    )
    registry.register(rt)
    yield rt
    registry.unregister("Basic")


def _post(client, body, content_type="application/fhir+json"):
    response = client.post("/fhir/Basic", body, content_type=content_type)
    assert response["Content-Type"] == FHIR_JSON
    return response.status_code, response.json()


def test_write_handler_receives_a_validated_resource(client, basic_type):
    status, body = _post(client, json.dumps({"resourceType": "Basic", "code": {"text": "essai"}}))
    assert status == 201 and body["code"]["text"] == "essai"


def test_write_with_another_media_type_is_415(client, basic_type):
    status, body = _post(client, "<Basic/>", content_type="application/fhir+xml")
    assert status == 415
    assert "application/fhir+json" in assert_outcome(body, "not-supported")["diagnostics"]


@pytest.mark.parametrize("body", ["{pas du json", json.dumps([1]), json.dumps({"resourceType": "Patient"}), b"\xff\xfe"])
def test_unreadable_or_wrong_bodies_are_400(client, basic_type, body):
    status, outcome = _post(client, body)
    assert status == 400
    assert_outcome(outcome, "invalid")


def test_invalid_resources_are_422_with_their_paths(client, basic_type):
    status, body = _post(client, json.dumps({"resourceType": "Basic", "code": {"text": "x"}, "couleur": "bleu", "created": "hier"}))
    assert status == 422
    expressions = {e for issue in body["issue"] for e in issue["expression"]}
    assert {"Basic.couleur", "Basic.created"} <= expressions
    assert all(issue["diagnostics"].startswith(("Élément inconnu", "Valeur invalide")) for issue in body["issue"])


def test_write_interactions_not_declared_stay_405(client, basic_type):
    response = client.put("/fhir/Basic/1", "{}", content_type="application/fhir+json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_fhir_error_helpers():
    assert FhirError.unprocessable([]).status == 422
    assert FhirError.not_acceptable("x").issues[0].code == "not-supported"


def test_post_search_needs_no_csrf_token(dirdata):
    from django.test import Client

    strict_client = Client(enforce_csrf_checks=True)
    response = strict_client.post("/fhir/Organization/_search", "name=nacre", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json()["total"] == 1


@pytest.mark.parametrize(
    ("prefer", "status"),
    [("handling=lenient", 200), ("return=minimal, handling=lenient", 200), ('handling="lenient"', 200),
     ("handling=strict", 400), ("respond-async", 400), ("", 400)],
)
def test_prefer_header_parsing(client, prefer, status):
    got, _body = fhir_get(client, "/fhir/Practitioner?couleur=bleu", headers={"Prefer": prefer} if prefer else None)
    assert got == status
