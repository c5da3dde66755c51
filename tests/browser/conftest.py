"""Playwright fixtures: one Debian chromium per session, a fresh context per test.

The browser is never downloaded (no ``playwright install``): the journeys drive
/usr/bin/chromium and skip when it is missing (CI turns that skip into a failure).
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian chromium is missing at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_options():
    return {"locale": "fr-FR"}


@pytest.fixture
def context(browser, context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    # Inline scripts or styles would be blocked by the CSP; surface them as failures.
    page.csp_violations = []
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page


@pytest.fixture
def service_catalogue(transactional_db):
    """The journeys' database, with the reference data the migrations seed.

    Transactional tests end with a flush that empties every table; ``flush``
    emits post_migrate, whose receivers (core, membership, offer apps) put the
    catalogue, the tariffs and the nomenclatures back. Nothing to do here but
    ask for the transactional database.
    """
