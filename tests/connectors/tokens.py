"""Connector tokens for the tests of every app's machine API: a new connector, then the real token endpoint."""

from __future__ import annotations

import base64

from django.urls import reverse

from enrs.connectors import services as connectors


def connector_token(client, organisation, scopes) -> str:
    """A bearer token of a new connector of ``organisation`` holding ``scopes`` (client credentials grant)."""
    connector, secret = connectors.create_connector(name=f"SIH {organisation.pk}", organisation=organisation, scopes=scopes)
    basic = base64.b64encode(f"{connector.application.client_id}:{secret}".encode()).decode()
    response = client.post(reverse("oauth:token"), {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def bearer(client, organisation, scopes) -> dict:
    """The same token as the ``Authorization`` header of Django's test client."""
    return {"HTTP_AUTHORIZATION": "Bearer " + connector_token(client, organisation, scopes)}
