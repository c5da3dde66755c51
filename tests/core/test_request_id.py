"""X-Request-ID: echoed when sane, generated otherwise."""

from __future__ import annotations

import re

import pytest

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize("incoming", ["abc-123", "lb.Trace_42", "x" * 64])
def test_sane_request_id_is_echoed(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming


def test_missing_request_id_is_generated(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert GENERATED.match(first) and GENERATED.match(second) and first != second


@pytest.mark.parametrize(
    "malicious",
    ["<script>alert(1)</script>", "a b", "x" * 65, "id;rm -rf /", "é", "../../etc/passwd", ""],
)
def test_malicious_or_oversized_request_id_is_replaced(client, malicious):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=malicious)
    assert GENERATED.match(response["X-Request-ID"])
    assert response["X-Request-ID"] != malicious
