"""Gap-free numbering under concurrency: real threads, real PostgreSQL row locks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from enrs.membership import services
from enrs.membership.models import Document
from enrs.membership.services import Item

from .builders import make_assembly, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_quotes_get_distinct_consecutive_numbers():
    assert connection.vendor == "postgresql"
    member = services.admit(make_member("C"), make_assembly())
    barrier, errors, workers, per_worker = threading.Barrier(6), [], 6, 5

    def work():
        try:
            barrier.wait()
            for _ in range(per_worker):
                services.request_quote(member, [Item("dpm")], on=dt.date(2025, 6, 2))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, workers * per_worker + 1))
