"""In-process rate limits: a sliding-window counter per key.

Each process keeps its own counts. Behind a proxy that spreads requests over several core
instances, a client may get up to N times the limit; that is acceptable for abuse protection
(the goal is to stop floods and password guessing, not to meter) and needs no shared store.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from codepair.domain.errors import RateLimited


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str, *, now: float | None = None) -> float:
        """Seconds until ``key`` may act again; 0 when it may act now."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if not events:
            return 0.0
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window - now)

    def hit(self, key: str, *, now: float | None = None) -> None:
        """Count one event for ``key``, or raise :class:`RateLimited` when over the limit."""
        now = time.monotonic() if now is None else now
        wait = self.retry_after(key, now=now)
        if wait > 0:
            raise RateLimited("Too many requests; try again later", retry_after=wait)
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
            # Bound memory under a spray of distinct keys: forget the least recently used.
            if len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        events.append(now)
