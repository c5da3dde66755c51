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


@pytest.fixture
def two_departements(emergency_data, tmp_path):
    other = directory.upsert_organisation(
        {"finess": finess_complete("76000801"), "finess_kind": "ET", "name": "CH de Synthèse maritime", "kind": "CH",
         "commune_insee": "76540", "postal_code": "76000", "city": "Rouen"}
    ).obj
    for path, _n, _c in generate(other.finess, dt.date(2025, 1, 6), 14, tmp_path / "rpu76", per_day=25, seed=3,
                                 error_rate=0.0, days_per_file=7):
        assert observatory.ingest_path(path).status == "accepted"
    return emergency_data, other


def _daily_rows(page):
    table = page.locator("[data-chart-table] table")
    return table.locator("tbody tr")


def test_analyst_zooms_toggles_and_filters_the_daily_chart(live_server, page, two_departements, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    url = live_server.url
    page.goto(url + "/comptes/login/")
    page.get_by_label("Adresse e-mail").fill("analyste@test.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.goto(url + "/observatoire/urgences/?debut=2025-01-06&fin=2025-01-19")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Du 06/01/2025 au 19/01/2025 : 14 jours")
    page.get_by_text("Données du graphique").first.click()
    rows = _daily_rows(page)
    expect(rows).to_have_count(14)
    full_total = int(status.inner_text().split(",")[1].split()[0])

    # Keyboard zoom: the first day moves forward by three days.
    start = page.get_by_label("Premier jour")
    start.focus()
    for _i in range(3):
        page.keyboard.press("ArrowRight")
    expect(status).to_contain_text("Du 09/01/2025 au 19/01/2025 : 11 jours")
    expect(rows).to_have_count(11)
    expect(rows.first.locator("th")).to_have_text("09/01/2025")

    # Toggling the série of département 76 removes its column and lowers the total.
    legend = page.get_by_role("button", name="Département 76")
    expect(legend).to_have_attribute("aria-pressed", "true")
    headers = page.locator("[data-chart-table] table thead th")
    expect(headers).to_have_text(["Jour", "Département 14", "Département 76", "Total"])
    legend.focus()
    page.keyboard.press("Enter")
    expect(legend).to_have_attribute("aria-pressed", "false")
    expect(headers).to_have_text(["Jour", "Département 14", "Total"])
    legend.click()
    expect(headers).to_have_text(["Jour", "Département 14", "Département 76", "Total"])

    # Establishment filter: only the maritime hospital's passages remain.
    page.get_by_label("Établissement affiché").select_option(label="CH de Synthèse maritime")
    expect(headers).to_have_text(["Jour", "Département 76", "Total"])
    expect(page.get_by_role("button", name="Département 14")).to_be_disabled()

    # Reset, then a mouse brush over the chart zooms on the dragged days.
    page.get_by_label("Établissement affiché").select_option(label="Tous les établissements")
    page.get_by_role("button", name="Toute la période").click()
    expect(rows).to_have_count(14)
    assert int(status.inner_text().split(",")[1].split()[0]) == full_total
    chart = page.locator("svg.chart--interactive")
    box = chart.bounding_box()
    plot_left = box["x"] + box["width"] * 44 / 760
    plot_width = box["width"] * (760 - 44 - 10) / 760
    y = box["y"] + box["height"] / 2
    page.mouse.move(plot_left + plot_width * 2.5 / 14, y)
    page.mouse.down()
    page.mouse.move(plot_left + plot_width * 5.5 / 14, y, steps=5)
    page.mouse.up()
    expect(status).to_contain_text("Du 08/01/2025 au 11/01/2025 : 4 jours")
    expect(rows).to_have_count(4)
    assert page.csp_violations == []
