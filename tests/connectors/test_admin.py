"""Back-office: agency staff create a connector and see its secret once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from oauth2_provider.models import get_access_token_model

from enrs.accounts.models import User
from enrs.connectors.models import Connector
from enrs.connectors.scopes import DIRECTORY_READ, DIRECTORY_WRITE

from .conftest import Registered, request_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    agent = User.objects.create_user(
        username="agent", email="agent@test.invalid", password="mot-de-passe-solide-1", kind="agency",
        is_staff=True, is_superuser=True,
    )
    client.force_login(agent)
    return client


def _shown(response, element_id: str) -> str:
    match = re.search(rf'<code id="{element_id}">([^<]+)</code>', response.content.decode())
    assert match, f"{element_id} not shown"
    return match.group(1)


def test_staff_create_a_connector_and_see_the_secret_once(admin_client, orgs):
    response = admin_client.post(
        reverse("admin:connectors_connector_add"),
        {"name": "SIH du CH Alpha", "organisation": orgs["a"].pk, "allowed_scopes": [DIRECTORY_READ], "active": "on"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    connector = Connector.objects.get()
    assert connector.organisation == orgs["a"] and connector.allowed_scopes == [DIRECTORY_READ]
    assert connector.created_by.username == "agent"
    client_id, secret = _shown(response, "client-id"), _shown(response, "client-secret")
    assert client_id == connector.application.client_id
    assert connector.application.client_secret != secret  # hashed
    # The secret works once copied...
    assert request_token(admin_client, Registered(connector, secret)).status_code == 200
    # ...and is never shown again.
    change = admin_client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    assert change.status_code == 200
    assert secret not in change.content.decode()
    assert client_id in change.content.decode()


def test_the_admin_form_refuses_unknown_or_missing_scopes(admin_client, orgs):
    url = reverse("admin:connectors_connector_add")
    for scopes in ([], ["annuaire:tout"]):
        response = admin_client.post(url, {"name": "x", "organisation": orgs["a"].pk, "allowed_scopes": scopes})
        assert response.status_code in (200, 400)
        assert 'class="errorlist' in response.content.decode()
    assert not Connector.objects.exists()


def test_deactivating_in_the_admin_revokes_the_tokens(admin_client, make_connector, token_for):
    registered = make_connector("a")
    token_for(registered)
    response = admin_client.post(
        reverse("admin:connectors_connector_change", args=[registered.connector.pk]),
        {"name": registered.connector.name, "allowed_scopes": [DIRECTORY_READ, DIRECTORY_WRITE]},  # "active" unticked
    )
    assert response.status_code == 302
    assert not Connector.objects.get().active
    assert not get_access_token_model().objects.exists()


def test_the_organisation_cannot_be_changed(admin_client, make_connector, orgs):
    registered = make_connector("a")
    admin_client.post(
        reverse("admin:connectors_connector_change", args=[registered.connector.pk]),
        {"name": "x", "organisation": orgs["b"].pk, "allowed_scopes": [DIRECTORY_READ], "active": "on"},
    )
    assert Connector.objects.get().organisation == orgs["a"]


def test_rotating_the_secret_shows_a_new_one_and_kills_the_old(admin_client, make_connector, token_for):
    registered = make_connector("a")
    token_for(registered)
    response = admin_client.post(
        reverse("admin:connectors_connector_changelist"),
        {"action": "rotate_secret_action", "_selected_action": [registered.connector.pk]},
    )
    assert response.status_code == 200
    new_secret = _shown(response, "client-secret")
    assert new_secret != registered.secret
    assert not get_access_token_model().objects.exists()
    assert request_token(admin_client, registered).status_code == 401
    assert request_token(admin_client, registered, secret=new_secret).status_code == 200


def test_connectors_cannot_be_deleted(admin_client, make_connector):
    registered = make_connector("a")
    response = admin_client.post(reverse("admin:connectors_connector_delete", args=[registered.connector.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Connector.objects.exists()
