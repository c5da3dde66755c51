from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def euros(value) -> str:
    """French money format: ``Decimal("1440.5")`` -> ``"1 440,50 €"`` (no-break spaces)."""
    if value is None or value == "":
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    text = f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")
    return f"{text}\u00a0€"


@register.filter
def number(value) -> str:
    """A Decimal quantity without useless decimals, French comma: 12.00 -> 12, 1.50 -> 1,5."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    text = f"{amount.normalize():f}"
    return text.replace(".", ",")
