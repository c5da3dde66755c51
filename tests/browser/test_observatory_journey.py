"""Observatory journey in a real browser: a regional analyst opens the emergency dashboard,
reads the key figures and the accessible charts, and exports the PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from enrs.access import services as access_services
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.observatory import services as observatory
from enrs.observatory.generator import generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mot-de-passe-solide-1"


@pytest.fixture
def emergency_data(tmp_path, settings):
    settings.ENRS_OBSERVATORY_DUCKDB = str(tmp_path / "oru.duckdb")
    hospital = directory.upsert_organisation(
        {"finess": finess_complete("14000801"), "finess_kind": "ET", "name": "CH de Synthèse (urgences)", "kind": "CH",
         "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}
    ).obj
    for path, _n, _c in generate(hospital.finess, dt.date(2025, 1, 6), 14, tmp_path / "rpu", per_day=40, seed=2,
                                 error_rate=0.02, days_per_file=7):
        assert observatory.ingest_path(path).status == "accepted"
    analyst = User.objects.create_user(username="oru", email="analyste@test.invalid", password=PASSWORD, kind="pro")
    access_services.assign_role(analyst, Role.OBSERVATORY_ANALYST)
    return hospital


def test_analyst_opens_the_regional_dashboard_and_exports_a_pdf(live_server, page, emergency_data, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    url = live_server.url
    page.goto(url + "/comptes/login/")
    page.get_by_label("Adresse e-mail").fill("analyste@test.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.goto(url + "/observatoire/")
    page.get_by_role("link", name="Tableau de bord des urgences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord régional des urgences")
    page.get_by_label("Du", exact=True).fill("2025-01-06")
    page.get_by_label("Au", exact=True).fill("2025-01-19")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("img", name="Passages par jour", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="CH de Synthèse (urgences)")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter en PDF").click()
    download = download_info.value
    assert download.suggested_filename == "urgences_2025-01-06_2025-01-19.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert page.csp_violations == []
