"""Fixtures of the authentication tests: a clean rate-limit cache, the PSC test
provider, and a driver that walks its login pages like a browser would."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from oidc_peer import OidcPeer, psc_settings, start_oidc_peer

from enrs.core.validators import luhn_complete
from enrs.directory import services as directory

CALLBACK = "http://testserver/comptes/oidc/psc/login/callback/"
PASSWORD = "Mot-de-passe-solide-1"


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits and used TOTP codes live in the cache; tests must not inherit them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def oidc_peer():
    peer = start_oidc_peer([CALLBACK])
    yield peer
    peer.stop()


@pytest.fixture
def psc(settings, oidc_peer) -> OidcPeer:
    psc_settings(settings, oidc_peer)
    return oidc_peer


@pytest.fixture
def directory_professional(db):
    """A professional of the directory with no account yet."""
    return directory.upsert_professional(
        {"rpps": luhn_complete("1000007777"), "last_name": "Morel", "first_name": "Julien", "profession_code": "10"}
    ).obj


def _follow_to_page(browser: requests.Session, url: str) -> requests.Response:
    for _hop in range(10):
        response = browser.get(url, allow_redirects=False)
        if response.status_code not in (302, 303):
            return response
        url = urljoin(url, response.headers["Location"])
    raise AssertionError("too many redirects at the provider")


def authorize_at_provider(authorize_url: str, idnat_ps: str) -> str:
    """Log in at the test provider as ``idnat_ps``; return the callback URL it sends back."""
    browser = requests.Session()
    page = _follow_to_page(browser, authorize_url)
    assert page.status_code == 200 and 'name="login"' in page.text, page.text[:500]
    response = browser.post(page.url.rstrip("/") + "/login", data={"login": idnat_ps}, allow_redirects=False)
    url = urljoin(page.url, response.headers["Location"])
    while not url.startswith(CALLBACK):
        response = browser.get(url, allow_redirects=False)
        assert response.status_code in (302, 303), response.text[:500]
        url = urljoin(url, response.headers["Location"])
    return url


def start_psc_login(client, **params) -> str:
    """Press "Se connecter avec Pro Santé Connect"; return the authorization URL."""
    response = client.post(reverse("openid_connect_login", kwargs={"provider_id": "psc"}), {"process": "login", **params})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def callback_path(callback_url: str) -> str:
    parts = urlsplit(callback_url)
    return f"{parts.path}?{parts.query}"


def psc_login(client, idnat_ps: str):
    """The whole PSC login; returns (our answer to the callback, the callback URL)."""
    callback_url = authorize_at_provider(start_psc_login(client), idnat_ps)
    return client.get(callback_path(callback_url)), callback_url


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
