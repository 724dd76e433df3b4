"""The in-process bus: the embedded default, and a stand-in for Redis in tests.

Every payload crosses it in its wire form (framed, copied into new bytes), exactly as it would
cross Redis, so that code which only works because publisher and subscriber share objects
fails here first (Zulip's in-memory event queue round-trips through JSON for the same reason).

Several ``MemoryBus`` objects on one :class:`MemoryBroker` behave like several instances on one
Redis: each has its own ``instance_id`` and its own subscriptions.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from codepair import metrics
from codepair.bus.base import DEFAULT_MAX_PENDING, Bus, BusUnavailable, check_channel, frame


class MemoryBroker:
    """What the instances of one process share: which bus subscribes to which channel."""

    def __init__(self) -> None:
        self._buses: set[MemoryBus] = set()
        self._down = False
        # Leases: key -> (holder's instance_id, when it expires on the monotonic clock).
        self.leases: dict[str, tuple[str, float]] = {}

    def lease_holder(self, key: str) -> str | None:
        held = self.leases.get(key)
        if held is None:
            return None
        if held[1] <= time.monotonic():
            del self.leases[key]
            return None
        return held[0]

    def attach(self, bus: MemoryBus) -> None:
        self._buses.add(bus)

    def detach(self, bus: MemoryBus) -> None:
        self._buses.discard(bus)

    def publish(self, channel: str, wire: bytes) -> None:
        if self._down:
            return
        for bus in tuple(self._buses):
            bus._dispatch(channel, wire)

    @contextlib.asynccontextmanager
    async def outage(self) -> AsyncIterator[None]:
        """Drop everything published inside the block, then send every subscription a Gap.

        The in-process counterpart of a Redis restart, for testing re-sync without Redis.
        """
        self._down = True
        try:
            yield
        finally:
            self._down = False
            for bus in tuple(self._buses):
                bus._gap("reconnected")


class MemoryBus(Bus):
    """A bus inside one process. Pass one ``broker`` to several buses to simulate instances."""

    def __init__(
        self, broker: MemoryBroker | None = None, *, max_pending: int = DEFAULT_MAX_PENDING
    ) -> None:
        super().__init__(max_pending=max_pending)
        self.broker = broker or MemoryBroker()
        self._started = False

    async def start(self) -> None:
        self.broker.attach(self)
        self._started = True

    async def close(self) -> None:
        self._started = False
        self.broker.detach(self)
        self._end_all()

    async def publish(self, channel: str, payload: bytes) -> None:
        check_channel(channel)
        wire = frame(payload)
        if not self._started:
            raise BusUnavailable("the bus is not started")
        metrics.BUS_MESSAGES.labels(direction="out").inc()
        self.broker.publish(channel, wire)

    async def ping(self) -> None:
        if not self._started:
            raise BusUnavailable("the bus is not started")

    def _check_started(self) -> None:
        if not self._started:
            raise BusUnavailable("the bus is not started")

    async def claim(self, key: str, ttl: float) -> bool:
        self._check_started()
        if self.broker.lease_holder(key) not in (None, self.instance_id):
            return False
        self.broker.leases[key] = (self.instance_id, time.monotonic() + ttl)
        return True

    async def renew(self, key: str, ttl: float) -> bool:
        self._check_started()
        if self.broker.lease_holder(key) != self.instance_id:
            return False
        self.broker.leases[key] = (self.instance_id, time.monotonic() + ttl)
        return True

    async def release(self, key: str) -> None:
        self._check_started()
        if self.broker.lease_holder(key) == self.instance_id:
            del self.broker.leases[key]

    async def holder(self, key: str) -> str | None:
        self._check_started()
        return self.broker.lease_holder(key)
