"""INR and wound rules as property tests (hypothesis): no database, pure functions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.telehealth import services

# The machine running the suite may be loaded: generation speed is not what is tested.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)

inr_values = st.integers(min_value=5, max_value=150).map(lambda tenths: Decimal(tenths) / 10)


# --- Pure INR rules (property tests) --------------------------------------------------------------
@relaxed
@given(value=inr_values, low=inr_values, width=st.integers(min_value=1, max_value=30).map(lambda tenths: Decimal(tenths) / 10))
def test_inr_verdict_partitions_the_line(value, low, width):
    high = low + width
    verdict = services.inr_verdict(value, low, high)
    assert verdict == ("low" if value < low else "high" if value > high else "in")
    assert services.inr_verdict(low, low, high) == "in" and services.inr_verdict(high, low, high) == "in"


@relaxed
@given(value=inr_values)
def test_every_plausible_inr_is_accepted_in_either_notation(value):
    assert services.parse_inr(str(value)) == value
    assert services.parse_inr(str(value).replace(".", ",")) == value


@relaxed
@given(value=st.one_of(st.integers(min_value=-10**6, max_value=49).map(lambda c: Decimal(c) / 100),
                       st.integers(min_value=1501, max_value=10**7).map(lambda c: Decimal(c) / 100)))
def test_physiologically_impossible_inr_is_refused(value):
    with pytest.raises(ValidationError) as error:
        services.parse_inr(str(value))
    assert "physiologiquement impossible" in error.value.message_dict["value"][0]


@relaxed
@given(text=st.text(max_size=12).filter(lambda t: _not_a_number(t)))
def test_anything_not_a_number_is_refused_in_french(text):
    with pytest.raises(ValidationError) as error:
        services.parse_inr(text)
    assert "n'est pas un nombre" in error.value.message_dict["value"][0]


def _not_a_number(text: str) -> bool:
    try:
        return not Decimal(text.strip().replace(",", ".")).is_finite()
    except Exception:  # noqa: BLE001
        return True


@relaxed
@given(previous=st.integers(min_value=10, max_value=2_500_000).map(lambda tenths: Decimal(tenths) / 10),
       factor=st.integers(min_value=10, max_value=300).map(lambda hundredths: Decimal(hundredths) / 100))
def test_wound_growth_is_relative_to_the_previous_area(previous, factor):
    growth = services.wound_growth(previous, previous * factor)
    assert growth == factor - 1
    assert services.wound_growth(None, previous) is None


