"""Malformed input to every input route: a 4xx with a French message, nothing stored.

Routes come from ``enrs.input_routes``; a route missing from it fails
``test_every_route_is_classified``.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from enrs.input_routes import EXCLUDED_PREFIXES, INPUT_ROUTES, NO_INPUT_ROUTES, InputRoute

ENGLISH_LEAKS = ("Not Found", "Cannot parse", "field required", "Internal Server Error", "Traceback")

MALFORMED_FORMS = {
    "empty": {},
    "unknown fields": {"zzz": "1", "__proto__": "x"},
    "overlong values": {"login": "x" * 5000, "email": "a" * 5000 + "@x", "q": "é" * 5000, "password": "p" * 5000, "kind": "z" * 500},
    "control characters": {"login": "\x00\x01", "email": "\x00@x", "q": "\x00", "kind": "\x00"},
}
MALFORMED_QUERIES = {
    "bad page": {"page": "abc"},
    "negative page": {"page": "-3"},
    "unknown choice": {"profession": "ZZ", "departement": "999", "type": "NOPE"},
    "control characters": {"q": "\x00<script>", "departement": "\x00"},
    "overlong": {"q": "x" * 5000},
}
MALFORMED_JSON = {
    "not json": b"{not json",
    "array": b"[]",
    "wrong types": json.dumps({"name": 12, "latitude": "north", "finess": ["x"]}).encode(),
    "missing fields": b"{}",
    "overlong": json.dumps({"name": "x" * 5000, "finess": "9" * 50}).encode(),
    "invalid utf-8": b'{"name": "\xff\xfe"}',
}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), (namespace + pattern.name) if pattern.name else None


def test_every_route_is_classified():
    listed = {route.name for route in INPUT_ROUTES} | set(NO_INPUT_ROUTES)
    unclassified = sorted(
        f"{path} ({name})"
        for path, name in _walk(get_resolver().url_patterns)
        if not path.startswith(tuple(EXCLUDED_PREFIXES)) and name not in listed
    )
    assert unclassified == [], "Routes missing from enrs/input_routes.py: " + ", ".join(unclassified)


def test_listed_routes_exist():
    for route in INPUT_ROUTES:
        reverse(route.name, kwargs=route.kwargs)
    for name in NO_INPUT_ROUTES:
        assert any(name == found for _path, found in _walk(get_resolver().url_patterns)), name


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in {
        "directory", "identity", "core", "accounts"}}


def _payloads(route: InputRoute):
    if route.body == "json":
        return MALFORMED_JSON.items()
    if route.body == "query":
        return MALFORMED_QUERIES.items()
    if route.body == "multipart":
        return {
            **MALFORMED_FORMS,
            "wrong file": {"kind": "annuaire", "file": SimpleUploadedFile("x.txt", b"\xff\xfe\x00garbage")},
            "empty file": {"kind": "finess", "file": SimpleUploadedFile("vide.csv", b"")},
        }.items()
    return MALFORMED_FORMS.items()


def _send(client, route: InputRoute, payload):
    url = reverse(route.name, kwargs=route.kwargs)
    if route.body == "json":
        return client.generic(route.method, url, payload, content_type="application/json")
    if route.body == "query":
        return client.get(url, payload)
    return client.post(url, payload)


def _assert_french_error(route: InputRoute, response, label: str) -> None:
    assert 400 <= response.status_code < 500, f"{route.name} [{label}] answered {response.status_code}"
    text = response.content.decode("utf-8", errors="replace")
    for leak in ENGLISH_LEAKS:
        assert leak not in text, f"{route.name} [{label}] leaks {leak!r}"
    if route.response == "json":
        assert response.json()["detail"], f"{route.name} [{label}] has no message"
    elif route.response == "fhir":
        body = response.json()
        assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"]
    else:
        assert 'class="errorlist' in text or 'role="alert"' in text, f"{route.name} [{label}] shows no error message"


@pytest.mark.django_db
@pytest.mark.parametrize("route", INPUT_ROUTES, ids=lambda r: r.name)
def test_malformed_input_is_refused_in_french(route, users, client):
    if route.user != "anonymous":
        client.force_login(users[route.user])
    for label, payload in _payloads(route):
        before = _row_counts()
        response = _send(client, route, payload)
        _assert_french_error(route, response, label)
        after = _row_counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and not k.startswith("directory.Import")}
        assert not changed, f"{route.name} [{label}] stored something: {changed}"
