"""Rate limiting of the OAuth2 endpoints: the limiter itself, then over HTTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from enrs.connectors.ratelimit import Rate, hit

from .conftest import basic, request_token


def test_rate_parse():
    assert Rate.parse("10/60") == Rate(10, 60)
    for bad in ("10", "a/b", "0/60", "5/0", "1/2/3", ""):
        with pytest.raises(ImproperlyConfigured):
            Rate.parse(bad)


def test_hits_are_counted_per_key_and_window():
    rate = Rate(3, 60)
    start = 6000.0  # the start of a window
    assert [hit("t", "k", rate, now=start + i) for i in range(3)] == [None, None, None]
    assert hit("t", "k", rate, now=start + 10) == 50  # seconds left in the window
    assert hit("t", "other", rate, now=start + 10) is None
    assert hit("u", "k", rate, now=start + 10) is None  # scopes are separate
    assert hit("t", "k", rate, now=start + 60) is None  # next window


def test_the_wait_is_never_zero():
    rate = Rate(1, 10)
    hit("t", "k", rate, now=99.9999)
    assert hit("t", "k", rate, now=99.99999) == 1


@pytest.mark.django_db
def test_token_endpoint_limits_a_client_id_then_answers_429_in_french(client, make_connector, settings):
    settings.ENRS_OAUTH_RATE_LIMIT_CLIENT = "3/60"
    settings.ENRS_OAUTH_RATE_LIMIT_IP = "100/60"
    registered, other = make_connector("a"), make_connector("b")
    for _ in range(3):
        assert request_token(client, registered, secret="mauvais").status_code == 401
    response = request_token(client, registered)  # even the right secret waits
    assert response.status_code == 429
    assert response.json()["error"] == "too_many_requests"
    assert response.json()["detail"].startswith("Trop de tentatives d'authentification.")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert request_token(client, other).status_code == 200  # another client is not affected


@pytest.mark.django_db
def test_token_endpoint_limits_an_ip_address_across_client_ids(client, make_connector, settings):
    settings.ENRS_OAUTH_RATE_LIMIT_CLIENT = "100/60"
    settings.ENRS_OAUTH_RATE_LIMIT_IP = "4/60"
    url = reverse("oauth:token")
    for n in range(4):
        response = client.post(url, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(f"devine-{n}", "x"))
        assert response.status_code == 401
    assert client.post(url, {"grant_type": "client_credentials"}).status_code == 429
    registered = make_connector("a")
    assert request_token(client, registered, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.django_db
def test_client_id_in_the_body_is_counted_too(client, make_connector, settings):
    settings.ENRS_OAUTH_RATE_LIMIT_CLIENT = "2/60"
    settings.ENRS_OAUTH_RATE_LIMIT_IP = "100/60"
    registered = make_connector("a")
    data = {"grant_type": "client_credentials", "client_id": registered.client_id, "client_secret": "faux"}
    statuses = [client.post(reverse("oauth:token"), data).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    # The same client through HTTP Basic shares the counter.
    assert request_token(client, registered).status_code == 429


@pytest.mark.django_db
def test_revocation_endpoint_is_limited(client, make_connector, settings):
    settings.ENRS_OAUTH_RATE_LIMIT_CLIENT = "100/60"
    settings.ENRS_OAUTH_RATE_LIMIT_IP = "2/60"
    url = reverse("oauth:revoke")
    statuses = [client.post(url, {"token": "x"}, HTTP_AUTHORIZATION=basic("c", "s")).status_code for _ in range(3)]
    assert statuses[-1] == 429
    assert statuses[0] in (400, 401)
