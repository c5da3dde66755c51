"""Security headers, CSRF on every HTML form, and no secret in the repository (issue 3 §6)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from enrs.input_routes import INPUT_ROUTES

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["portal:landing", "account_login"]


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_pages_carry_the_security_headers(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_error_pages_and_json_carry_them_too(client):
    for response in (client.get("/nulle-part/"), client.get("/api/annuaire/structures/000000000")):
        assert response.status_code in (401, 404)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_hsts_is_sent_over_https_when_configured(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()  # a new handler reads the overridden settings
    secure = client.get(reverse("portal:landing"), secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get(reverse("portal:landing"))  # never over plain HTTP


@pytest.mark.django_db
def test_no_hsts_without_https(client):
    assert "Strict-Transport-Security" not in client.get(reverse("portal:landing"), secure=True)


def _fresh_settings(monkeypatch, tmp_path, **env):
    """Execute settings.py again under another environment, without touching the loaded settings."""
    monkeypatch.setenv("ENRS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENRS_SECRET_KEY", "cle-de-test-" + "x" * 40)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("enrs_settings_reloaded", ROOT / "src" / "enrs" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_enrs_https_turns_on_hsts_secure_cookies_and_redirects(monkeypatch, tmp_path):
    https = _fresh_settings(monkeypatch, tmp_path, ENRS_HTTPS="1")
    assert https.SECURE_HSTS_SECONDS == 31536000
    assert https.SECURE_HSTS_INCLUDE_SUBDOMAINS and https.SECURE_SSL_REDIRECT
    assert https.SESSION_COOKIE_SECURE and https.CSRF_COOKIE_SECURE
    monkeypatch.delenv("ENRS_HTTPS")
    plain = _fresh_settings(monkeypatch, tmp_path)
    assert getattr(plain, "SECURE_HSTS_SECONDS", 0) == 0


# --- CSRF: every HTML form of the input-route registry refuses a POST without token ---------
CSRF_EXEMPT = {
    "oauth:token": "OAuth2 endpoint: no cookie, the client authenticates with its secret on every call",
    "oauth:revoke": "OAuth2 endpoint: no cookie, the client authenticates with its secret on every call",
}
FORM_ROUTES = [route for route in INPUT_ROUTES if route.body in {"form", "multipart"} and route.method == "POST"]


def test_the_sweep_covers_forms():
    assert {"account_login", "directory:import_upload"} <= {route.name for route in FORM_ROUTES}


@pytest.mark.django_db
@pytest.mark.parametrize("route", FORM_ROUTES, ids=lambda r: r.name)
def test_form_post_without_csrf_token_is_refused(route, users):
    client = Client(enforce_csrf_checks=True)
    if route.user != "anonymous":
        assert route.user in users, f"{route.name}: no test user of kind {route.user!r}"
        client.force_login(users[route.user])
    response = client.post(reverse(route.name, kwargs=route.kwargs), {"email": "x@test.invalid", "password": "x"})
    if route.name in CSRF_EXEMPT:
        # Not a CSRF refusal: the OAuth2 error of a client that did not authenticate.
        assert response.status_code in (400, 401) and response.json()["error"], route.name
        return
    assert response.status_code == 403, f"{route.name} accepted a POST without CSRF token ({response.status_code})"


@pytest.mark.django_db
def test_csrf_token_is_what_makes_the_difference(users):
    """Control: the same POST with the token passes the CSRF check (here a login form error, 400)."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("account_login"), {"login": "x@test.invalid", "password": "x", "csrfmiddlewaretoken": token})
    assert response.status_code != 403


# --- No secret in the repository --------------------------------------------------------
# Built by concatenation so that this file does not match itself.
PRIVATE_KEY = re.compile("-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE" + " KEY( BLOCK)?-----")
HARD_CODED = [
    re.compile(r"""SECRET_KEY\s*=\s*["'][^"'\s]{16,}["']"""),
    re.compile(r"""ENRS_SECRET_KEY\s*=\s*["']?[A-Za-z0-9_\-]{16,}"""),
    re.compile("AKIA" + "[0-9A-Z]{16}"),
    re.compile(r"""(?i)(client_secret|api_key|password)\s*[:=]\s*["'][A-Za-z0-9+/_\-]{32,}["']"""),
]
SKIPPED_SUFFIXES = {".png", ".jpg", ".gif", ".ico", ".woff", ".woff2", ".pdf", ".zip", ".gz"}


def _tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def find_secrets(paths) -> list[str]:
    found = []
    for path in paths:
        if path.suffix in SKIPPED_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for pattern in [PRIVATE_KEY, *HARD_CODED]:
            if match := pattern.search(text):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)[:40]}")
    return found


def test_no_secret_is_tracked_in_the_repository():
    assert find_secrets(_tracked_files()) == []


def test_the_secret_detector_detects(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    samples = {
        "key.pem": "-----BEGIN RSA PRIVATE" + " KEY-----\nMIIE...",
        "settings_local.py": 'SECRET_KEY = "' + "k" * 30 + '"',
        ".env": "ENRS_SECRET_KEY=" + "a1" * 20,
        "conf.yaml": 'client_secret: "' + "Z" * 40 + '"',
        "clean.py": "SECRET_KEY = _secret_key()\npassword = 'court'",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    found = find_secrets(sorted(tmp_path.iterdir()))
    assert sorted(line.split(":")[0] for line in found) == [".env", "conf.yaml", "key.pem", "settings_local.py"]
