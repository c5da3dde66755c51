"""Fixtures for connector tests: organisations A (a legal entity with one
establishment) and B, a connector for each, and a token helper going through
the real token endpoint."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from django.urls import reverse

from enrs.connectors import services
from enrs.connectors.scopes import DIRECTORY_READ, DIRECTORY_WRITE
from enrs.core.validators import finess_complete
from enrs.directory import services as directory

BOTH = [DIRECTORY_READ, DIRECTORY_WRITE]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def orgs(db):
    org_a = directory.upsert_organisation(
        {"finess": finess_complete("14000101"), "finess_kind": "EJ", "name": "CH Alpha", "kind": "CH",
         "phone": "0231000000", "email": "contact@alpha.test"}
    ).obj
    site_a = directory.upsert_organisation(
        {"finess": finess_complete("14000102"), "finess_kind": "ET", "name": "CH Alpha — site de Bayeux",
         "kind": "CH", "legal_entity": org_a}
    ).obj
    org_b = directory.upsert_organisation(
        {"finess": finess_complete("50000201"), "finess_kind": "EJ", "name": "Clinique Bêta", "kind": "CLINIQUE",
         "phone": "0233000000", "email": "contact@beta.test"}
    ).obj
    return {"a": org_a, "a_site": site_a, "b": org_b}


class Registered:
    def __init__(self, connector, secret):
        self.connector, self.secret = connector, secret

    @property
    def client_id(self) -> str:
        return self.connector.application.client_id


@pytest.fixture
def make_connector(orgs):
    def make(org_key: str = "a", scopes=BOTH, name: str | None = None) -> Registered:
        connector, secret = services.create_connector(
            name=name or f"SIH {org_key}", organisation=orgs[org_key], scopes=scopes
        )
        return Registered(connector, secret)

    return make


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def request_token(client, registered: Registered, scope: str | None = None, *, secret: str | None = None, **extra):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return client.post(
        reverse("oauth:token"), data, HTTP_AUTHORIZATION=basic(registered.client_id, secret or registered.secret), **extra
    )


@pytest.fixture
def token_for(client):
    def get(registered: Registered, scope: str | None = None) -> str:
        response = request_token(client, registered, scope)
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return get


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
