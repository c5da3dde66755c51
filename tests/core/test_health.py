"""Health probes: liveness never touches dependencies, readiness does."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError


def test_healthz_answers_without_the_database(client):
    # No django_db mark: pytest-django makes any database access fail here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_json_when_the_database_fails(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("enrs.core.views.connection", broken):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "checks": {"database": "error", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_fails(client):
    with mock.patch("enrs.core.views.cache.set", side_effect=ConnectionError("redis down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error"}
