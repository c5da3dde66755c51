"""``enrs bench oru`` runs end to end at a tiny size (real figures come from the CLI, docs/services/observatory.md)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from enrs.observatory.models import RpuFile


@pytest.mark.django_db
def test_oru_benchmark_smoke():
    out = StringIO()
    call_command("bench", "oru", "--records", "300", "--days", "40", "--workers", "1", "--queries", "1",
                 "--error-rate", "0.1", stdout=out)
    result = json.loads(out.getvalue())
    assert result["benchmark"] == "oru" and result["dataset"]["days"] == 40
    assert result["invariant_holds"] and result["quarantine_matches_corruptions"]
    assert result["accepted"] + result["quarantined"] == result["dataset"]["records"] > 0
    assert result["ratio_to_bare_iterparse"] > 1 and result["dashboard_3y_ms"]["p50"] > 0
    assert result["rolled_back"] and not RpuFile.objects.exists()
    assert set(result["targets_met"]) == {"ingest", "dashboard"} and result["targets"]["dashboard_3y_ms"] == 300
