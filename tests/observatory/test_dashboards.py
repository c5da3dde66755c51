"""Indicators over the analytical store, the dashboard screens and their exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from enrs.access import services as access
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.observatory import indicators, services

from .conftest import record, rpu_bytes

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)  # a Monday


def ingest(finess, records, first=DAY, last=DAY):
    rpu_file = services.ingest_bytes(rpu_bytes(finess, records, first, last), filename="f.xml", channel="cli")
    assert rpu_file.status == "accepted" and rpu_file.quarantined == 0, rpu_file.error_counts
    return rpu_file


@pytest.fixture
def four_passages(hospitals, store):
    ingest(hospitals["caen"].finess, [
        # 02:00, 30 years old woman, CCMU 1, home after 1 h
        record(ENTREE="06/01/2025 02:00", SORTIE="06/01/2025 03:00", NAISSANCE="01/01/1990", SEXE="F", GRAVITE="1"),
        # 21:30, 80 years old man, CCMU 4, hospitalised (mutation MED) after 6 h
        record(ENTREE="06/01/2025 21:30", SORTIE="07/01/2025 03:30", NAISSANCE="01/01/1944", SEXE="M", GRAVITE="4",
               MODE_SORTIE="6", DESTINATION="1", ORIENT="MED", TRANSPORT="SMUR"),
        # 10:00, 6 months old girl, bronchiolitis, home after 2 h
        record(ENTREE="06/01/2025 10:00", SORTIE="06/01/2025 12:00", NAISSANCE="01/07/2024", SEXE="F", DP="J219"),
    ])
    ingest(hospitals["rouen"].finess, [
        # 14:00, 40 years old, left without waiting after 5 h
        record(ENTREE="06/01/2025 14:00", SORTIE="06/01/2025 19:00", NAISSANCE="01/01/1985", ORIENT="PSA", DP="J111"),
    ])


def finesses(hospitals):
    return hospitals["caen"].finess, hospitals["rouen"].finess


def test_summary_indicators(four_passages, hospitals, store):
    s = indicators.summary(store, indicators.Scope(DAY, DAY))
    assert s.passages == 4 and s.per_day == 4.0
    assert s.women == 0.75 and s.under_1 == 0.25 and s.under_18 == 0.25 and s.over_75 == 0.25
    assert s.night == 0.5 and s.deep_night == 0.25  # 02:00 and 21:30; deep night only 02:00
    assert s.ccmu_1_2 == 0.75 and s.ccmu_4_5 == 0.25
    assert s.hospitalisation == 0.25 and s.unplanned_exit == 0.25
    assert s.median_stay_min == 210.0  # 60, 120, 300, 360 → (120 + 300) / 2
    assert s.stay_over_4h == 0.5


def test_scope_by_departement_and_establishment(four_passages, hospitals, store):
    caen, _rouen = finesses(hospitals)
    assert indicators.summary(store, indicators.Scope(DAY, DAY, departement="76")).passages == 1
    assert indicators.summary(store, indicators.Scope(DAY, DAY, finess=(caen,))).passages == 3
    assert indicators.by_departement(store, indicators.Scope(DAY, DAY)) == [("14", 3), ("76", 1)]


def test_age_bands_ccmu_transport_and_heatmap(four_passages, store):
    scope = indicators.Scope(DAY, DAY)
    bands = dict(indicators.age_bands(store, scope))
    assert bands["28 j–1 an"] == 1 and bands["30–45 ans"] == 2 and bands["75–85 ans"] == 1
    assert dict(indicators.ccmu(store, scope))["4"] == 1
    grid = indicators.heatmap(store, scope)
    assert grid[0][2] == grid[0][21] == grid[0][10] == grid[0][14] == 1 and sum(map(sum, grid)) == 4


def test_syndromic_alert_against_the_same_week_of_previous_years(hospitals, store):
    caen = hospitals["caen"].finess
    # ISO week 2 of 2023 and 2024: one flu passage each; 2025 week 2: three → alert.
    for year, day, count in ((2023, dt.date(2023, 1, 10), 1), (2024, dt.date(2024, 1, 9), 1), (2025, dt.date(2025, 1, 7), 3)):
        ingest(caen, [record(ENTREE=f"{day:%d/%m/%Y} 1{n}:00", SORTIE=f"{day:%d/%m/%Y} 1{n}:30", DP="J111") for n in range(count)],
               day, day)
    results = {r["code"]: r for r in indicators.syndromes(store, indicators.Scope(dt.date(2025, 1, 6), dt.date(2025, 1, 12)))}
    assert results["grippe"]["count"] == 3 and results["grippe"]["previous"] == [1, 1] and results["grippe"]["alert"]
    assert results["ira"]["alert"] and not results["gea"]["alert"] and results["gea"]["threshold"] == 0 or results["gea"]["threshold"] is None


def test_small_count_rule():
    assert [indicators.suppress_small(n) for n in (0, 1, 4, 5, 12)] == ["0", "< 5", "< 5", "5", "12"]


def regional_analyst():
    user = User.objects.create_user(username="oru", email="oru@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(user, Role.OBSERVATORY_ANALYST)
    return user


def test_dashboard_page_shows_charts_and_data_tables(client, four_passages):
    client.force_login(regional_analyst())
    response = client.get(reverse("observatory:dashboard"), {"debut": "2025-01-06", "fin": "2025-01-06"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 5 and 'role="img"' in text
    body = text.split("</head>")[1]
    # No executable script in the body: only the JSON data block of the interactive chart (json_script).
    assert "CHU de Rouen (urgences)" in text and body.count("<script") == body.count('<script id="daily-data" type="application/json">') == 1
    assert '<script type="module" src="/static/observatory/charts.js">' in text.split("</head>")[0]


def test_dashboard_bad_filters_are_400_in_french(client, four_passages):
    client.force_login(regional_analyst())
    response = client.get(reverse("observatory:dashboard"), {"debut": "2025-02-01", "fin": "2025-01-01", "zz": "1"})
    assert response.status_code == 400
    assert "La fin de période doit suivre le début." in response.content.decode() or "Paramètre inconnu" in response.content.decode()


def test_establishment_analyst_only_sees_his_establishment(client, four_passages, hospitals):
    user = User.objects.create_user(username="dim", email="dim@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(user, Role.OBSERVATORY_ANALYST, organisation=hospitals["caen"])
    client.force_login(user)
    response = client.get(reverse("observatory:dashboard"), {"debut": "2025-01-06", "fin": "2025-01-06"})
    text = response.content.decode()
    assert response.status_code == 200 and "CHU de Rouen" not in text
    # Asking for Rouen explicitly is refused by the form (not one of his establishments).
    assert client.get(reverse("observatory:dashboard"), {"etablissement": hospitals["rouen"].finess}).status_code == 400


def test_excel_export_applies_the_small_count_rule(client, four_passages):
    client.force_login(regional_analyst())
    response = client.get(reverse("observatory:dashboard_xlsx"), {"debut": "2025-01-06", "fin": "2025-01-06"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Établissements"].values)
    assert rows[0] == ("Établissement", "Passages") and ("CHU de Caen (urgences)", "< 5") in rows
    summary = dict(row[:2] for row in book["Synthèse"].values)
    assert summary["Passages"] == "4"


def test_pdf_export(client, four_passages):
    client.force_login(regional_analyst())
    response = client.get(reverse("observatory:dashboard_pdf"), {"debut": "2025-01-06", "fin": "2025-01-06"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_yearly_quality_assessment_counts_the_latest_file_per_period(client, hospitals, store):
    caen = hospitals["caen"].finess
    ingest(caen, [record(GRAVITE="")])  # GRAVITE missing: completeness 0 …
    ingest(caen, [record(), record(ENTREE="06/01/2025 11:00", SORTIE="06/01/2025 11:30")])  # … replaced by this file
    services.ingest_bytes(b"<OSCOUR>", filename="cassé.xml", channel="cli")  # refused, no FINESS: not attributed
    client.force_login(regional_analyst())
    response = client.get(reverse("observatory:quality"), {"annee": "2025"})
    assert response.status_code == 200
    from enrs.observatory import selectors

    [row] = selectors.yearly_quality(User.objects.get(username="oru"), 2025)
    assert (row.files, row.accepted, row.quarantined, row.days_with_data) == (1, 2, 0, 1)
    assert row.completeness["GRAVITE"] == 1.0 and row.conformity["DP"] == 1.0
    assert "CHU de Caen (urgences)" in response.content.decode()
    assert client.get(reverse("observatory:quality"), {"annee": "abc"}).status_code == 400
