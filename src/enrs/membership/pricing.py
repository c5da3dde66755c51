"""Money arithmetic of quotes, contribution calls and credit notes (pure functions, Decimal only).

Rounding rule: every line is rounded to the cent, half up (ROUND_HALF_UP), first
its amount excluding tax (quantity × unit price), then its VAT (amount HT × rate);
the line's TTC is HT + VAT. Document totals are the sums of the rounded lines,
so a total always equals the sum of the lines printed above it. A credit note
carries the exact opposite of each line: it cancels the document to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def line_amounts(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal) -> LineAmounts:
    ht = to_cents(quantity * unit_price)
    vat = to_cents(ht * vat_rate / HUNDRED)
    return LineAmounts(ht, vat, ht + vat)


@dataclass(frozen=True)
class Totals:
    ht: Decimal = ZERO
    vat: Decimal = ZERO
    ttc: Decimal = ZERO


def totals(lines: Iterable[LineAmounts]) -> Totals:
    ht = vat = ZERO
    for line in lines:
        ht += line.ht
        vat += line.vat
    return Totals(ht, vat, ht + vat)


def opposite(line: LineAmounts) -> LineAmounts:
    return LineAmounts(-line.ht, -line.vat, -line.ttc)


def editing_price(pages: int, first_page: Decimal, extra_page: Decimal, max_extra_pages: int | None) -> Decimal:
    """Price of one postal sending of ``pages`` pages: first page, then extra pages up to the cap."""
    if pages < 1:
        raise ValueError("a sending has at least one page")
    extra = pages - 1
    if max_extra_pages is not None:
        extra = min(extra, max_extra_pages)
    return first_page + extra_page * extra
