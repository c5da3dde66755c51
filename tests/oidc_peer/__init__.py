"""Start and stop the test OpenID Connect provider (tests/oidc_peer/provider.mjs).

A real ``oidc-provider`` process on a free loopback port; skipped (a failure under
ENRS_REQUIRE_ALL=1) when node or node_modules/oidc-provider is missing.
"""

from __future__ import annotations

import shutil
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROVIDER = HERE / "provider.mjs"
CLIENT_ID = "enrs-test"
# Made afresh for each test process: even a test secret is never committed.
CLIENT_SECRET = secrets.token_urlsafe(24)
START_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OidcPeer:
    issuer: str
    process: subprocess.Popen
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    session: requests.Session = field(default_factory=requests.Session)

    def last_authorization(self) -> dict:
        return self.session.get(f"{self.issuer}/test/last-authorization", timeout=5).json() or {}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing: the test OpenID Connect provider cannot run")
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("node_modules/oidc-provider is missing (npm ci)")
    return node


def _wait_until_ready(peer: OidcPeer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if peer.process.poll() is not None:
            output = peer.process.stdout.read().decode(errors="replace") if peer.process.stdout else ""
            raise RuntimeError(f"the test OIDC provider exited: {output}")
        try:
            if requests.get(f"{peer.issuer}/.well-known/openid-configuration", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    peer.stop()
    raise RuntimeError("the test OIDC provider did not answer in time")


def start_oidc_peer(redirect_uris: list[str], post_logout_uris: list[str] = ()) -> OidcPeer:
    node = _require_node()
    port = free_port()
    # "--name=value": a random secret may start with "-", which node's parseArgs would take for an option.
    command = [node, str(PROVIDER), f"--port={port}", f"--client-id={CLIENT_ID}", f"--client-secret={CLIENT_SECRET}"]
    command += [f"--redirect-uri={uri}" for uri in redirect_uris]
    command += [f"--post-logout-uri={uri}" for uri in post_logout_uris]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peer = OidcPeer(issuer=f"http://127.0.0.1:{port}", process=process)
    _wait_until_ready(peer)
    return peer


def psc_settings(settings, peer: OidcPeer, *, acr_values: str = "eidas1") -> None:
    """Point the PSC app of ``settings`` (pytest-django fixture) at ``peer``."""
    from enrs.settings import psc_app

    settings.ENRS_PSC_ACR_VALUES = acr_values
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [psc_app(peer.issuer, peer.client_id, peer.client_secret, acr_values, ["openid", "scope_all"])],
        }
    }
