"""``enrs bench audit`` is registered and dispatches (a tiny run; real figures come from the CLI)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from enrs.core.models import AccessEvent


@pytest.mark.django_db
def test_audit_benchmark_reports_overhead_and_leaves_the_trail_untouched():
    out = StringIO()
    call_command("bench", "audit", "--rollback", "--requests", "3", "--warmup", "1", stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())
    assert result["benchmark"] == "audit" and result["dataset"] == {"requests_per_view": 3, "warmup": 1}
    assert result["mode"] == "rollback" and result["committed"] is False and result["target_p95_ms"] == 1.0
    for key in ("plain_request", "audited_request", "record_call"):
        assert result[key]["p50_ms"] > 0 and result[key]["p95_ms"] >= result[key]["p50_ms"]
    assert result["overhead_p95_ms"] == round(result["audited_request"]["p95_ms"] - result["plain_request"]["p95_ms"], 3)
    assert not AccessEvent.objects.exists()  # rolled back
