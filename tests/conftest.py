"""Suite-wide fixtures and the ENRS_REQUIRE_ALL rule.

With ``ENRS_REQUIRE_ALL=1`` (set by .ci/run) a test that skips itself because a
server or the browser is missing fails instead: CI never goes green by
silently testing less.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL = os.environ.get("ENRS_REQUIRE_ALL") == "1"
# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from such a thread unless told it is safe (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped while ENRS_REQUIRE_ALL=1 (nothing may be skipped in CI): {reason}"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background tasks run inline in tests, so their effects can be asserted."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
