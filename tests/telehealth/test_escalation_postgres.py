"""Two workers running due escalations at the same moment ring the next expert once (row locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from enrs.access.models import RoleAssignment
from enrs.telehealth import services
from enrs.telehealth.clock import FakeClock
from enrs.telehealth.models import UrgentEvent

from . import builders

START = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_escalate_once():
    assert connection.vendor == "postgresql"
    coordinator = builders.professional("coordo")
    RoleAssignment.objects.create(user=coordinator, role="coordinator")
    for rank in (1, 2, 3):
        expert = builders.professional(f"neuro{rank}", specialty="SM42")
        services.add_shift(coordinator, specialty_code="SM42", expert=expert, starts_at=START, ends_at=START + dt.timedelta(hours=6), rank=rank)
    urgentist = builders.professional("urgentiste")
    patient = builders.care(urgentist, builders.patient("AVC"))
    clock = FakeClock(START + dt.timedelta(minutes=1))
    request = services.open_urgent_request(urgentist, patient=patient, specialty_code="SM42", reason="Aphasie brutale", clock=clock)
    late = FakeClock(clock.now() + dt.timedelta(seconds=181))
    barrier, moved = threading.Barrier(4), []

    def worker():
        try:
            barrier.wait()
            moved.append(services.run_due_escalations(clock=late))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(moved) == [0, 0, 0, 1]
    assert UrgentEvent.objects.filter(request=request, kind="escalated").count() == 1
