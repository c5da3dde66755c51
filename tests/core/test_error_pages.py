"""French error pages: HTML for pages, JSON under /api/."""

from __future__ import annotations

import html

import pytest


@pytest.mark.django_db
def test_unknown_page_is_a_french_html_404(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    body = html.unescape(response.content.decode())
    assert "Page introuvable" in body and "La page demandée n'existe pas." in body
    assert "Not Found" not in body


@pytest.mark.django_db
def test_unknown_api_route_is_a_french_json_404(client):
    response = client.get("/api/cette-route-n-existe-pas")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "La page demandée n'existe pas."}


@pytest.mark.django_db
def test_json_is_also_given_to_clients_that_ask_for_it(client):
    response = client.get("/inconnu", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["detail"] == "La page demandée n'existe pas."
