"""Property tests on the money arithmetic of documents (Decimal, half-up per line)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.membership import pricing, services
from enrs.membership.services import Item

from .builders import make_assembly, make_member

quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)
rates = st.sampled_from([Decimal("0"), Decimal("5.5"), Decimal("10"), Decimal("20")])
lines = st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=12)


@given(lines)
def test_totals_are_the_sums_of_rounded_lines(rows):
    amounts = [pricing.line_amounts(q, p, r) for q, p, r in rows]
    total = pricing.totals(amounts)
    assert total.ht == sum(a.ht for a in amounts) and total.vat == sum(a.vat for a in amounts)
    assert total.ttc == total.ht + total.vat
    for amount in amounts:
        assert amount.ht == amount.ht.quantize(Decimal("0.01")) and amount.vat == amount.vat.quantize(Decimal("0.01"))


@given(quantities, prices, rates)
def test_each_line_is_rounded_half_up_to_the_cent(quantity, price, rate):
    amount = pricing.line_amounts(quantity, price, rate)
    exact_ht = quantity * price
    assert abs(amount.ht - exact_ht) <= Decimal("0.005")
    assert amount.ht == exact_ht.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert amount.vat == (amount.ht * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(lines)
def test_a_credit_note_cancels_to_the_cent(rows):
    amounts = [pricing.line_amounts(q, p, r) for q, p, r in rows]
    original = pricing.totals(amounts)
    credit = pricing.totals([pricing.opposite(a) for a in amounts])
    assert (original.ht + credit.ht, original.vat + credit.vat, original.ttc + credit.ttc) == (0, 0, 0)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        pricing.to_cents(1.1)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(min_value=1, max_value=50),
    months=st.integers(min_value=1, max_value=120),
    sendings=st.integers(min_value=1, max_value=1000),
    pages=st.integers(min_value=1, max_value=30),
)
def test_stored_quotes_match_the_arithmetic_and_their_credit_notes(count, months, sendings, pages):
    member = services.admit(make_member("A_GHT"), make_assembly())
    on = dt.date(2025, 6, 2)
    quote = services.request_quote(member, [Item("pack", quantity=count, months=months), Item("editing", quantity=sendings, pages=pages)], on=on)
    editing_unit = Decimal("0.90") + Decimal("0.15") * min(pages - 1, 4)
    expected = pricing.totals([
        pricing.line_amounts(Decimal(count * months), Decimal("400.00"), Decimal("20.00")),
        pricing.line_amounts(Decimal(sendings), editing_unit, Decimal("20.00")),
    ])
    assert (quote.total_ht, quote.total_vat, quote.total_ttc) == (expected.ht, expected.vat, expected.ttc)
    assert sum(line.amount_ttc for line in quote.lines.all()) == quote.total_ttc
    credit = services.credit_note(quote, reason="test", on=on)
    assert quote.total_ttc + credit.total_ttc == 0
