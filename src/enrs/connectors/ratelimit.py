"""A fixed-window rate limiter over Django's cache, for authentication endpoints.

Counters live in the default cache (local memory on one process, Redis when
``ENRS_REDIS_URL`` is set so that every process shares them). A window is
``period`` seconds long; its key carries the window number, so a counter
expires by itself and no cleanup is needed.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, value: str) -> Rate:
        """``"10/60"``: ten hits per sixty seconds."""
        try:
            count, period = (int(part) for part in value.split("/"))
        except ValueError as exc:
            raise ImproperlyConfigured(f"rate limit {value!r}: expected '<count>/<seconds>'") from exc
        if count < 1 or period < 1:
            raise ImproperlyConfigured(f"rate limit {value!r}: count and period must be positive")
        return cls(count, period)


def hit(scope: str, key: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count one hit; return the seconds to wait when over the rate, else None."""
    now = time.time() if now is None else now
    window = int(now // rate.period)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    cache_key = f"enrs:ratelimit:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=rate.period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=rate.period + 1)
        count = 1
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))
