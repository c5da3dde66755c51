"""Every amount of the reference tables, reproduced exactly from the loaded tariffs; dated periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from enrs.membership import pricing, selectors, services
from enrs.membership.models import Tariff

pytestmark = pytest.mark.django_db
ON = dt.date(2025, 6, 1)
D = Decimal


def amount(kind, category, unit=None, on=ON):
    return selectors.tariff_in_force(kind, category, unit, on).amount


@pytest.mark.parametrize(("college", "expected"), [
    ("A", "16.48"), ("B", "23.08"), ("C", "4.10"), ("D", "27.78"), ("E", "0.00"), ("F", "0.00"),
])
def test_capital_contribution_per_college(college, expected):
    assert services.capital_contribution(college, ON) == D(expected)


@pytest.mark.parametrize(("category", "expected"), [
    ("A_CHU", "5000.00"), ("A_GHT", "2000.00"), ("A_OTHER", "750.00"), ("B", "100.00"), ("C", "100.00"),
    ("D", "0.00"), ("E", "0.00"), ("F", "100.00"),
])
def test_annual_contribution_per_category(category, expected):
    assert services.annual_contribution(category, ON) == D(expected)


@pytest.mark.parametrize(("category", "unit", "expected"), [
    ("A_CHU", "ets_month", "600.00"), ("A_GHT", "ets_month", "400.00"), ("A_OTHER", "ets_month", "200.00"),
    ("C", "ets_month", "100.00"), ("OTHER", "user_month", "10.00"), ("OTHER", "struct_month", "100.00"),
])
def test_pack_complementaire_monthly_fees(category, unit, expected):
    assert amount("pack", category, unit) == D(expected)


@pytest.mark.parametrize(("kind", "category", "expected"), [
    ("imaging", "", "200.00"), ("editing_first", "", "0.90"), ("editing_extra", "", "0.15"),
    ("emage_setup", "", "3600.00"), ("emage_yearly", "", "2400.00"),
    ("dpm", "A_CHU", "50.00"), ("dpm", "A_GHT", "40.00"), ("dpm", "A_OTHER", "30.00"), ("dpm", "B", "15.00"),
    ("dpm", "C", "20.00"), ("dpm", "D", "20.00"),
    ("consulting", "project_manager", "445.00"), ("consulting", "legal", "490.00"), ("consulting", "consultant", "490.00"),
    ("consulting", "ciso", "650.00"), ("consulting", "medical_referent", "715.00"), ("consulting", "coordination", "380.00"),
    ("consulting", "facilitation", "390.00"), ("consulting", "onboarding", "90.00"),
    ("consulting", "elearnes_training", "1950.00"),
])
def test_options_infrastructure_dpm_and_consulting(kind, category, expected):
    assert amount(kind, category) == D(expected)


def test_ranges_and_caps():
    assert selectors.tariff_in_force("consulting", "medical_referent", None, ON).amount_max == D("815.00")
    assert selectors.tariff_in_force("consulting", "coordination", None, ON).amount_max == D("480.00")
    assert selectors.tariff_in_force("editing_extra", "", "page", ON).max_quantity == 4


@pytest.mark.parametrize(("pages", "expected"), [(1, "0.90"), (2, "1.05"), (5, "1.50"), (9, "1.50")])
def test_editing_price_per_sending_is_capped_at_four_extra_pages(pages, expected):
    first = amount("editing_first", "")
    extra = selectors.tariff_in_force("editing_extra", "", "page", ON)
    assert pricing.editing_price(pages, first, extra.amount, extra.max_quantity) == D(expected)


def test_reference_rows_and_vat_choice():
    assert Tariff.objects.count() == 40
    assert not Tariff.objects.filter(kind__in=["capital", "annual"]).exclude(vat_rate=0).exists()
    assert set(Tariff.objects.exclude(kind__in=["capital", "annual"]).values_list("vat_rate", flat=True)) == {D("20.00")}


def test_no_tariff_before_the_reference_assembly():
    with pytest.raises(ValidationError, match="Aucun tarif"):
        services.capital_contribution("A", dt.date(2025, 3, 16))


def test_loader_is_idempotent():
    assert services.load_reference_tariffs() == 0
    Tariff.objects.all().delete()
    assert services.load_reference_tariffs() == 40
    assert services.load_reference_tariffs() == 0


def test_unknown_college_is_refused_in_french():
    with pytest.raises(ValidationError, match="Collège inconnu : « Z »"):
        services.capital_contribution("Z", ON)
    with pytest.raises(ValidationError, match="Collège inconnu"):
        services.add_tariff(kind="capital", category="G", unit="once", amount="1.00", effective_from=ON)


def test_overlapping_periods_are_refused_and_nothing_is_stored():
    before = Tariff.objects.count()
    with pytest.raises(ValidationError) as error:
        services.add_tariff(kind="capital", category="A", unit="once", amount="17.00", effective_from=dt.date(2026, 1, 1))
    assert "chevauche" in str(error.value) and "17/03/2025" in str(error.value)
    assert Tariff.objects.count() == before


def test_bounded_periods_overlap_rules():
    add = lambda start, end=None: services.add_tariff(  # noqa: E731
        kind="imaging", category="", unit="month", amount="10.00", effective_from=start, effective_until=end
    )
    add(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    add(dt.date(2024, 7, 1), dt.date(2024, 12, 31))  # adjacent: fine
    with pytest.raises(ValidationError, match="chevauche"):
        add(dt.date(2024, 12, 31))
    with pytest.raises(ValidationError, match="précède"):
        add(dt.date(2023, 5, 1), dt.date(2023, 4, 1))


def test_revision_closes_the_open_period_the_day_before():
    new = services.revise_tariff(kind="capital", category="A", unit="once", amount="17.20", effective_from=dt.date(2025, 11, 20))
    old = Tariff.objects.get(kind="capital", category="A", effective_from=dt.date(2025, 3, 17))
    assert old.effective_until == dt.date(2025, 11, 19)
    assert services.capital_contribution("A", dt.date(2025, 11, 19)) == D("16.48")
    assert services.capital_contribution("A", dt.date(2025, 11, 20)) == new.amount == D("17.20")


def test_bad_amounts_are_refused():
    for bad in ("abc", "-1", "1.234", "NaN"):
        with pytest.raises(ValidationError):
            services.add_tariff(kind="imaging", category="", unit="month", amount=bad, effective_from=dt.date(2030, 1, 1))
