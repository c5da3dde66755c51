"""Real threads booking the same slot at once: exactly one wins, every other one gets a clean refusal.

On SQLite the writers queue on the database lock (IMMEDIATE transactions,
busy timeout, retries); on PostgreSQL they race for real and the unique
``(agenda, cell)`` index decides.
"""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from enrs.agenda import services
from enrs.agenda.models import Appointment, SlotClaim
from enrs.agenda.services import SlotUnavailable

from .conftest import at, make_agenda, make_organisation, make_patient, make_professional, next_weekday


def _race(motif, start, users, *, hold=False):
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(user):
        try:
            barrier.wait()
            services.book(motif, start, user=user, hold=hold)
            outcome = "booked"
        except SlotUnavailable:
            outcome = "refused"
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)
            return
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def _setup(count: int):
    organisation = make_organisation()
    professional, _user = make_professional(organisation)
    _agenda, motif = make_agenda(organisation, professional)
    users = [make_patient(f"p{index}@test.invalid", f"PATIENT{index}")[1] for index in range(count)]
    return motif, users


def _check(outcomes, errors, count):
    assert errors == []
    assert sorted(outcomes) == ["booked"] + ["refused"] * (count - 1)
    assert Appointment.objects.count() == 1 and SlotClaim.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_threads_book_one_slot_once_on_the_configured_database():
    """Runs on SQLite in the default suite and on PostgreSQL in the PostgreSQL suite."""
    motif, users = _setup(12)
    outcomes, errors = _race(motif, at(next_weekday(0), 9), users, hold=True)
    _check(outcomes, errors, 12)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_threads_book_one_slot_once():
    assert connection.vendor == "postgresql"
    motif, users = _setup(40)
    outcomes, errors = _race(motif, at(next_weekday(0), 9), users)
    _check(outcomes, errors, 40)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_overlapping_motifs_race_on_shared_cells():
    """A 30-minute and a 45-minute booking that share one cell: only one commits."""
    assert connection.vendor == "postgresql"
    motif, users = _setup(20)
    long_motif = services.add_motif(motif.agenda, label="Long", duration_minutes=45, min_notice_minutes=0)
    day = next_weekday(0)
    barrier = threading.Barrier(20)
    results, errors = [], []

    def work(index, user):
        try:
            barrier.wait()
            if index % 2:
                services.book(motif, at(day, 8, 30), user=user)
            else:
                services.book(long_motif, at(day, 8), user=user)
            results.append("booked")
        except SlotUnavailable:
            results.append("refused")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(users)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and results.count("booked") == 1 and results.count("refused") == 19
