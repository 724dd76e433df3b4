"""The sliding-window rate limiter."""

from __future__ import annotations

import pytest

from codepair.domain.errors import RateLimited
from codepair.domain.ratelimit import RateLimiter


def test_window_slides() -> None:
    limiter = RateLimiter(limit=3, window=10)
    for t in (0.0, 1.0, 2.0):
        limiter.hit("a", now=t)
    with pytest.raises(RateLimited) as info:
        limiter.hit("a", now=5.0)
    assert info.value.retry_after == pytest.approx(5.0)
    limiter.hit("b", now=5.0)  # keys are independent
    limiter.hit("a", now=10.5)  # the first event has left the window


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(limit=1, window=60, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}", now=0.0)
    assert len(limiter._events) <= 101
