"""JSON API of the directory (thin: reads go through selectors)."""

from ninja import Router

router = Router(tags=["annuaire"])
