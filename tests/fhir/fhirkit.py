"""Helpers shared by the FHIR tests (imported as ``fhirkit``)."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json; charset=utf-8"


def fhir_get(client, url, data=None, headers=None):
    """GET and check the response is FHIR JSON (never HTML); return (status, body)."""
    response = client.get(url, data, headers=headers or {})
    assert response["Content-Type"] == FHIR_JSON, response.content[:200]
    return response.status_code, response.json()


def ids(bundle: dict, mode: str = "match", type_name: str | None = None) -> list[str]:
    return [
        entry["resource"]["id"]
        for entry in bundle.get("entry", [])
        if entry["search"]["mode"] == mode and (type_name is None or entry["resource"]["resourceType"] == type_name)
    ]


def search_ids(client, type_name: str, query: str = "", headers=None) -> set[str]:
    status, body = fhir_get(client, f"/fhir/{type_name}?{query}", headers=headers)
    assert status == 200, body
    return set(ids(body))


def assert_outcome(body: dict, code: str | None = None, expression: str | None = None) -> dict:
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    assert issue["diagnostics"]
    if code:
        assert issue["code"] == code, body
    if expression:
        assert expression in [e for i in body["issue"] for e in i.get("expression", [])], body
    return issue


def validate(resource: dict):
    """Parse with the R4B model of its type: raises on anything invalid."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def pk(obj) -> str:
    return str(obj.pk)
