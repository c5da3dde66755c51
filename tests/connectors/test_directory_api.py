"""Connector routes of the directory API: organisation-scoped, scope-checked tokens.

The attack of issue 3: a token of organisation A cannot read or write
organisation B's data.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from enrs.connectors import services
from enrs.connectors.auth import ConnectorToken
from enrs.connectors.scopes import DIRECTORY_READ, DIRECTORY_WRITE
from enrs.directory.models import Organisation

from .conftest import basic, bearer

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()


def read_url(org) -> str:
    return reverse("api:organisation_for_connector", kwargs={"finess": org.finess})


def patch_url(org) -> str:
    return reverse("api:update_organisation_contacts", kwargs={"finess": org.finess})


def patch(client, org, payload, token: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload)
    return client.patch(patch_url(org), body, content_type="application/json", **(bearer(token) if token else {}))


def contacts(org) -> tuple:
    org = Organisation.objects.get(pk=org.pk)
    return org.phone, org.email, org.mssante_address


# --- Reading -----------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["a", "a_site"])
def test_a_connector_reads_its_organisation_and_its_establishments(client, make_connector, token_for, orgs, target):
    token = token_for(make_connector("a"), DIRECTORY_READ)
    response = client.get(read_url(orgs[target]), **bearer(token))
    assert response.status_code == 200
    assert response.json()["finess"] == orgs[target].finess
    assert "phone" in response.json() and "mssante_address" in response.json()


def test_a_token_of_organisation_a_cannot_read_organisation_b(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"), DIRECTORY_READ)
    response = client.get(read_url(orgs["b"]), **bearer(token))
    assert response.status_code == 403
    assert response.json()["detail"] == "Accès refusé : cette structure n'appartient pas à l'organisation du connecteur."
    assert "0233000000" not in response.content.decode()


def test_an_establishment_does_not_reach_its_legal_entity_nor_its_siblings(client, make_connector, token_for, orgs):
    registered = make_connector("a")
    services.update_connector(registered.connector, scopes=[DIRECTORY_READ])
    site_connector, site_secret = services.create_connector(name="site", organisation=orgs["a_site"], scopes=[DIRECTORY_READ])
    from .conftest import Registered

    token = token_for(Registered(site_connector, site_secret))
    assert client.get(read_url(orgs["a_site"]), **bearer(token)).status_code == 200
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 403


def test_unknown_structure_is_404_in_french(client, make_connector, token_for):
    token = token_for(make_connector("a"))
    response = client.get(reverse("api:organisation_for_connector", kwargs={"finess": "999999999"}), **bearer(token))
    assert response.status_code == 404
    assert response.json()["detail"] == "Ressource introuvable."


# --- Writing -----------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["a", "a_site"])
def test_a_connector_updates_the_contacts_of_its_structures(client, make_connector, token_for, orgs, target):
    token = token_for(make_connector("a"), DIRECTORY_WRITE)
    payload = {"phone": "02 31 12 34 56", "email": "accueil@alpha.test", "mssante_address": "secretariat@alpha.mssante.fr"}
    response = patch(client, orgs[target], payload, token)
    assert response.status_code == 200, response.content
    assert contacts(orgs[target]) == ("02 31 12 34 56", "accueil@alpha.test", "secretariat@alpha.mssante.fr")
    assert response.json()["email"] == "accueil@alpha.test"
    assert Organisation.objects.get(pk=orgs[target].pk).name == orgs[target].name


def test_a_partial_update_leaves_the_other_fields(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"), DIRECTORY_WRITE)
    assert patch(client, orgs["a"], {"email": "nouveau@alpha.test"}, token).status_code == 200
    assert contacts(orgs["a"]) == ("0231000000", "nouveau@alpha.test", "")


def test_a_token_of_organisation_a_cannot_write_organisation_b(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"), DIRECTORY_WRITE)
    before = contacts(orgs["b"])
    response = patch(client, orgs["b"], {"phone": "0600000000", "email": "pirate@a.test"}, token)
    assert response.status_code == 403
    assert "n'appartient pas" in response.json()["detail"]
    assert contacts(orgs["b"]) == before


def test_and_the_other_way_round(client, make_connector, token_for, orgs):
    token = token_for(make_connector("b"), DIRECTORY_WRITE)
    before = contacts(orgs["a_site"])
    assert patch(client, orgs["a_site"], {"email": "pirate@b.test"}, token).status_code == 403
    assert client.get(read_url(orgs["a"]), **bearer(token_for(make_connector("b"), DIRECTORY_READ))).status_code == 403
    assert contacts(orgs["a_site"]) == before


def test_wrong_scope_is_403_naming_the_scope(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"), DIRECTORY_READ)
    response = patch(client, orgs["a"], {"email": "x@alpha.test"}, token)
    assert response.status_code == 403
    assert response.json()["detail"] == "Portée insuffisante : ce jeton n'a pas la portée annuaire:ecriture."
    assert contacts(orgs["a"])[1] == "contact@alpha.test"
    write_only = token_for(make_connector("a"), DIRECTORY_WRITE)
    assert client.get(read_url(orgs["a"]), **bearer(write_only)).status_code == 403


# --- Token validity ----------------------------------------------------------------------
def test_no_token_is_401(client, orgs):
    for response in (client.get(read_url(orgs["a"])), patch(client, orgs["a"], {"email": "x@alpha.test"})):
        assert response.status_code == 401
        assert response.json()["detail"] == "Authentification requise."


@pytest.mark.parametrize("header", ["Bearer inconnu", "Bearer ", "Basic abc", "Bearer \x00"])
def test_unknown_or_malformed_token_is_401(client, orgs, header):
    assert client.get(read_url(orgs["a"]), HTTP_AUTHORIZATION=header).status_code == 401


def test_a_client_secret_is_not_a_token(client, make_connector, orgs):
    registered = make_connector("a")
    assert client.get(read_url(orgs["a"]), HTTP_AUTHORIZATION=basic(registered.client_id, registered.secret)).status_code == 401
    assert client.get(read_url(orgs["a"]), **bearer(registered.secret)).status_code == 401


def test_expired_token_is_401(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"))
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 200
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 401
    assert patch(client, orgs["a"], {"email": "x@alpha.test"}, token).status_code == 401


def test_revoked_token_is_401(client, make_connector, token_for, orgs):
    registered = make_connector("a")
    token = token_for(registered)
    response = client.post(
        reverse("oauth:revoke"), {"token": token}, HTTP_AUTHORIZATION=basic(registered.client_id, registered.secret)
    )
    assert response.status_code == 200
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 401


def test_another_client_cannot_revoke_my_token(client, make_connector, token_for, orgs):
    mine, theirs = make_connector("a"), make_connector("b")
    token = token_for(mine)
    client.post(reverse("oauth:revoke"), {"token": token}, HTTP_AUTHORIZATION=basic(theirs.client_id, theirs.secret))
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 200


def test_deactivating_a_connector_stops_its_tokens(client, make_connector, token_for, orgs):
    registered = make_connector("a")
    token = token_for(registered)
    registered.connector.active = False
    registered.connector.save()  # even without the service's revocation, the route refuses it
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 401


def test_narrowing_the_scopes_revokes_the_tokens(client, make_connector, token_for, orgs):
    registered = make_connector("a")
    token = token_for(registered)
    services.update_connector(registered.connector, scopes=[DIRECTORY_READ, DIRECTORY_WRITE])  # unchanged: kept
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 200
    services.update_connector(registered.connector, scopes=[DIRECTORY_READ])
    assert client.get(read_url(orgs["a"]), **bearer(token)).status_code == 401


def test_token_in_the_query_string_is_refused(client, make_connector, token_for, orgs):
    token = token_for(make_connector("a"))
    assert client.get(read_url(orgs["a"]) + f"?access_token={token}").status_code == 401


def test_a_browser_session_is_not_a_connector(client, users, orgs):
    client.force_login(users["staff"])
    assert patch(client, orgs["a"], {"email": "x@alpha.test"}).status_code == 401
    # The session routes keep working.
    assert client.get(reverse("api:organisation_by_finess", kwargs={"finess": orgs["a"].finess})).status_code == 200


def test_routes_must_name_known_scopes():
    with pytest.raises(ValueError):
        ConnectorToken(scopes=["annuaire:tout"])


# --- Malformed input with a valid token ---------------------------------------------------
MALFORMED = {
    "not json": (None, b"{not json"),
    "array": (None, b"[]"),
    "empty object": ({}, None),
    "other field": ({"name": "Renommée"}, None),
    "wrong type": ({"phone": 12}, None),
    "overlong": ({"email": "a" * 300 + "@alpha.test"}, None),
    "bad e-mail": ({"email": "pas-une-adresse"}, None),
    "bad phone": ({"phone": "appelez-moi"}, None),
    "bad MSSanté": ({"mssante_address": "quelqu.un@gmail.com"}, None),
    "invalid utf-8": (None, b'{"email": "\xff\xfe"}'),
}


@pytest.mark.parametrize("label", MALFORMED)
def test_malformed_input_is_refused_in_french_and_nothing_stored(client, make_connector, token_for, orgs, label):
    token = token_for(make_connector("a"), DIRECTORY_WRITE)
    before = Organisation.objects.values().get(pk=orgs["a"].pk)
    payload, raw = MALFORMED[label]
    response = patch(client, orgs["a"], payload, token, raw=raw)
    assert response.status_code in (400, 422), (label, response.status_code, response.content)
    assert response.json()["detail"]
    assert Organisation.objects.values().get(pk=orgs["a"].pk) == before
