"""Channel layers: the in-memory layer of Channels with its expiry sweep throttled.

``channels.layers.InMemoryChannelLayer`` sweeps *every* channel and group for
expired messages on each ``send``/``receive``: O(sockets) work per event, so with
1,000 sockets and a fan-out of 10 events per chat message the sweep alone
dominated one process's CPU (profiled in docs/services/messaging.md). This
subclass sweeps at most once per ``clean_interval`` seconds (default 1 s): expired
messages still go, at most that much later than their 60 s expiry.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer


class ThrottledInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args, clean_interval: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clean_interval = clean_interval
        self._cleaned_at = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()
