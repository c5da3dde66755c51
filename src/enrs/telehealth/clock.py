"""The time source of the telehealth services, injectable so that tests drive it.

Services take ``clock=None`` and call ``now(clock)``; tests pass a ``FakeClock`` and move it
forward instead of sleeping (escalation delays, questionnaire periodicity, answer delays).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return timezone.now()


class FakeClock:
    """A clock that only moves when told to (tests and simulations)."""

    def __init__(self, start: dt.datetime):
        if timezone.is_naive(start):
            raise ValueError("FakeClock needs a timezone-aware start")
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> dt.datetime:
        self.current += dt.timedelta(**delta)
        return self.current


SYSTEM = SystemClock()


def now(clock: Clock | None = None) -> dt.datetime:
    return (clock or SYSTEM).now()
