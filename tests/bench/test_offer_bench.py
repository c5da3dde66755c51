"""``enrs bench offer`` runs at a tiny size and leaves nothing behind (real figures come from the CLI)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from enrs.offer.models import Capacity, Offer


@pytest.mark.django_db
def test_offer_benchmark_reports_its_figures_and_rolls_back():
    out = StringIO()
    call_command("bench", "offer", "--offers", "60", "--establishments", "4", "--queries", "3", "--updates", "6",
                 stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())
    assert result["benchmark"] == "offer" and result["dataset"]["offers"] == 60 and result["rolled_back"] is True
    for key in ("search", "text_search"):
        assert result[key]["p95_ms"] >= result[key]["p50_ms"] > 0
    assert result["capacity"]["updates"] == 6 and result["capacity"]["per_second"] > 0
    assert not Offer.objects.filter(identifier__startswith="BENCH-").exists() and not Capacity.objects.exists()
