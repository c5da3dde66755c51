"""The malformed-input sweep of tests/test_bad_input.py, applied to the FHIR routes.

Those routes must also be listed in src/enrs/input_routes.py (response="fhir")
for the project-wide sweep; this test keeps the FHIR side honest meanwhile.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.directory.models import Organisation, PracticeSituation, Professional

ENGLISH_LEAKS = ("Not Found", "Cannot parse", "field required", "Internal Server Error", "Traceback", "Bad Request")
MALFORMED_QUERIES = {
    "bad page": {"page": "abc"},
    "negative page": {"page": "-3"},
    "unknown choice": {"profession": "ZZ", "departement": "999", "type": "NOPE"},
    "control characters": {"q": "\x00<script>", "departement": "\x00"},
    "overlong": {"q": "x" * 5000},
    "fhir control characters": {"name": "\x00", "_count": "\x00"},
    "fhir overlong": {"name": "é" * 5000},
    "fhir bad count": {"_count": "-3"},
    "fhir bad date": {"_lastUpdated": "ge2024-02-31"},
}
ROUTES = [
    ("fhir:type", {"resource_type": "Organization"}),
    ("fhir:type", {"resource_type": "Practitioner"}),
    ("fhir:search", {"resource_type": "PractitionerRole"}),
    ("fhir:metadata", {}),
    ("fhir:instance", {"resource_type": "Practitioner", "resource_id": "1"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), ROUTES, ids=[f"{n}-{k.get('resource_type', '')}" for n, k in ROUTES])
def test_malformed_queries_are_refused_in_french(client, dirdata, name, kwargs):
    counts = [model.objects.count() for model in (Organisation, Professional, PracticeSituation)]
    url = reverse(name, kwargs=kwargs)
    for label, payload in MALFORMED_QUERIES.items():
        response = client.get(url, payload)
        assert 400 <= response.status_code < 500, f"{name} [{label}] answered {response.status_code}"
        assert response["Content-Type"].startswith("application/fhir+json"), label
        text = response.content.decode()
        assert not any(leak in text for leak in ENGLISH_LEAKS), (label, text)
        body = response.json()
        assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"], label
    assert counts == [model.objects.count() for model in (Organisation, Professional, PracticeSituation)]
