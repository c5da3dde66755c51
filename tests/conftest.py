"""Suite-wide fixtures and the ENRS_REQUIRE_ALL rule.

With ``ENRS_REQUIRE_ALL=1`` (set by .ci/run) a test that skips itself because a
server or the browser is missing fails instead: CI never goes green by
silently testing less.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

REQUIRE_ALL = os.environ.get("ENRS_REQUIRE_ALL") == "1"
# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from such a thread unless told it is safe (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The observatory's DuckDB file takes one writer at a time and the demo tests
# ingest RPU through the demo hook: each test process gets its own file, never
# the one in $ENRS_VAR_DIR.
if "ENRS_OBSERVATORY_DUCKDB" not in os.environ:
    _duckdb_dir = tempfile.mkdtemp(prefix="enrs-tests-duckdb-")
    atexit.register(shutil.rmtree, _duckdb_dir, ignore_errors=True)
    os.environ["ENRS_OBSERVATORY_DUCKDB"] = os.path.join(_duckdb_dir, "observatory.duckdb")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped while ENRS_REQUIRE_ALL=1 (nothing may be skipped in CI): {reason}"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Background tasks run inline so their effects can be asserted; a fast
    password hasher because argon2 is deliberately slow."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from enrs.interfaces.selectors import forget_senders

    forget_senders()  # a sender kept from a rolled-back test must not answer for the next one


@pytest.fixture
def users(db):
    """One user of each kind: a professional (collège B), a patient and an agency staff member."""
    import datetime as dt

    from enrs.accounts.models import User
    from enrs.core.validators import finess_complete, luhn_complete
    from enrs.directory import services as directory
    from enrs.identity.models import Patient

    organisation = directory.upsert_organisation(
        {"finess": finess_complete("14000042"), "name": "MSP des Tests", "kind": "MSP", "college": "B", "commune_insee": "14118"}
    ).obj
    professional = directory.upsert_professional(
        {"rpps": luhn_complete("1000004242"), "last_name": "Lefèvre", "first_name": "Hélène", "profession_code": "10"}
    ).obj
    directory.upsert_situation(professional, organisation, {"specialty_code": "SM54", "mode": "L"})
    pro = User.objects.create_user(username="pro", email="pro@test.invalid", password="mot-de-passe-solide-1", kind="pro")
    directory.link_user(professional, pro)
    patient = User.objects.create_user(username="pat", email="patient@test.invalid", password="mot-de-passe-solide-1", kind="patient")
    Patient.objects.create(
        birth_name="DURAND", birth_first_names="Louise Marie", birth_date=dt.date(1950, 3, 2), sex="F", user=patient
    )
    staff = User.objects.create_user(
        username="staff", email="staff@test.invalid", password="mot-de-passe-solide-1", kind="agency", is_staff=True
    )
    return {"pro": pro, "patient": patient, "staff": staff}


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback; Django's SMTP backend points to it.

    Yields the list of received ``email.message.EmailMessage`` objects.
    """
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            received.append(message)
            return "250 Message accepted"

    import socket

    with socket.socket() as probe:  # aiosmtpd's readiness check needs the real port up front
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield received
    finally:
        controller.stop()
