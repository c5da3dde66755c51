"""The client-credentials flow over the real token endpoint (/oauth/token/)."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_application_model

from enrs.connectors import services
from enrs.connectors.scopes import DIRECTORY_READ, DIRECTORY_WRITE

from .conftest import BOTH, basic, request_token

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()


def test_full_flow_gives_a_short_lived_bearer_token_for_the_organisation(client, make_connector, orgs):
    registered = make_connector("a")
    response = request_token(client, registered, DIRECTORY_READ)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == DIRECTORY_READ
    assert body["organisation"] == orgs["a"].finess
    assert "refresh_token" not in body
    assert response["Cache-Control"] == "no-store"
    stored = AccessToken.objects.get(application=registered.connector.application)
    # Only a checksum of the token is kept (RFC 9700 token storage).
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(body["access_token"].encode()).hexdigest()


def test_client_secret_in_the_body_works_too(client, make_connector):
    registered = make_connector("a")
    response = client.post(
        reverse("oauth:token"),
        {"grant_type": "client_credentials", "client_id": registered.client_id, "client_secret": registered.secret},
    )
    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == set(BOTH)


def test_client_secret_is_stored_hashed(make_connector):
    registered = make_connector("a")
    stored = get_application_model().objects.get(pk=registered.connector.application_id).client_secret
    assert stored != registered.secret
    identify_hasher(stored)  # raises if the value is not a Django password hash
    assert check_password(registered.secret, stored)


def test_token_lifetime_follows_the_setting(client, make_connector, settings):
    # DOT caches its OAuthLib server (and the lifetime with it) unless told to reload.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ACCESS_TOKEN_EXPIRE_SECONDS": 120, "ALWAYS_RELOAD_OAUTHLIB_CORE": True}
    response = request_token(client, make_connector("a"))
    assert response.json()["expires_in"] == 120


def test_wrong_secret_is_refused_in_french(client, make_connector):
    response = request_token(client, make_connector("a"), secret="pas-le-bon-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "secret incorrect" in response.json()["detail"]
    assert not AccessToken.objects.exists()


def test_unknown_client_is_refused(client, db):
    response = client.post(reverse("oauth:token"), {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic("inconnu", "x"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_deactivated_connector_gets_no_token(client, make_connector):
    registered = make_connector("a")
    services.update_connector(registered.connector, active=False)
    response = request_token(client, registered)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_oauth_application_without_connector_gets_no_token(client, db):
    Application = get_application_model()
    app = Application.objects.create(
        name="créée à la main", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret="secret-fait-main",
    )
    response = client.post(
        reverse("oauth:token"), {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, "secret-fait-main")
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("grant_type", "error"),
    [("", "invalid_request"), ("password", "unsupported_grant_type"), ("authorization_code", "unsupported_grant_type"),
     ("urn:ietf:params:oauth:grant-type:device_code", "unsupported_grant_type")],
)
def test_only_client_credentials_is_accepted(client, make_connector, grant_type, error):
    registered = make_connector("a")
    response = client.post(
        reverse("oauth:token"), {"grant_type": grant_type}, HTTP_AUTHORIZATION=basic(registered.client_id, registered.secret)
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["detail"]


def test_get_is_not_allowed(client, db):
    assert client.get(reverse("oauth:token")).status_code == 405


KNOWN = [DIRECTORY_READ, DIRECTORY_WRITE]
REQUESTABLE = [*KNOWN, "identite:lecture", "read"]


def _subsets(items, minimum=0):
    return [set(c) for n in range(minimum, len(items) + 1) for c in itertools.combinations(items, n)]


def test_scopes_granted_are_exactly_a_subset_of_the_allowed_ones(client, make_connector, settings):
    """Exhaustive: every allowed set × every requested set (known, unknown and never-granted scopes)."""
    settings.ENRS_OAUTH_RATE_LIMIT_CLIENT = settings.ENRS_OAUTH_RATE_LIMIT_IP = "1000/60"
    for allowed in _subsets(KNOWN, minimum=1):
        registered = make_connector("a", scopes=sorted(allowed))
        for requested in _subsets(REQUESTABLE):
            response = request_token(client, registered, " ".join(sorted(requested)) if requested else None)
            label = f"allowed={sorted(allowed)} requested={sorted(requested)}"
            if not requested:  # no scope parameter: every allowed scope
                assert response.status_code == 200, label
                assert set(response.json()["scope"].split()) == allowed, label
            elif requested <= allowed:
                assert response.status_code == 200, label
                assert set(response.json()["scope"].split()) == requested, label
            else:
                assert response.status_code == 400, label
                assert response.json()["error"] == "invalid_scope", label
                assert "Portée" in response.json()["detail"], label


def test_the_scopes_of_a_connector_are_validated(orgs):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.create_connector(name="x", organisation=orgs["a"], scopes=["annuaire:tout"])
    assert "Portée inconnue : annuaire:tout." in exc.value.message_dict["allowed_scopes"]
    with pytest.raises(ValidationError):
        services.create_connector(name="x", organisation=orgs["a"], scopes=[])
    with pytest.raises(ValidationError):
        services.create_connector(name="  ", organisation=orgs["a"], scopes=[DIRECTORY_READ])
    assert not get_application_model().objects.exists()  # nothing half-stored
