"""The bus between instances: an abstract publish/subscribe backend and its subscriptions.

Modelled on Litestar's channels backend: a few methods, one implementation per transport, one
contract suite (tests/bus/) that every implementation passes. Payloads are opaque bytes; the
envelope module gives them a shape.

Delivery is at most once. Whatever an implementation cannot deliver (Redis restarted, the
network blinked, a subscriber fell too far behind) it reports to the affected subscriptions as
a :class:`Gap` item, after which the subscriber re-syncs from a source of truth (for Yjs: a
state-vector exchange with the other instances, or the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from codepair import metrics

# A subscriber that falls this far behind loses its backlog and gets a Gap instead: the bus
# must never hold an unbounded queue for a stalled consumer.
DEFAULT_MAX_PENDING: Final = 10_000

_WIRE_VERSION: Final = 1
_HEADER = struct.Struct(">Bd")  # version, publish time (seconds since the epoch)


class BusError(Exception):
    """Base class of the bus's own errors."""


class BusUnavailable(BusError):
    """The bus's transport cannot be reached."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Messages on ``channel`` may have been lost before this point; re-sync.

    ``reason`` is for logs: ``"reconnected"``, ``"publish_failed"``, ``"overflow"``...
    """

    channel: str
    reason: str


Item = bytes | Gap


def frame(payload: bytes, *, now: float | None = None) -> bytes:
    """The wire form of ``payload``: a small header with the publish time, then the bytes."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise TypeError(f"bus payloads are bytes, not {type(payload).__name__}")
    sent_at = time.time() if now is None else now
    return _HEADER.pack(_WIRE_VERSION, sent_at) + bytes(payload)


def unframe(wire: bytes) -> tuple[bytes, float]:
    """Split a wire frame into its payload and its publish time."""
    if len(wire) < _HEADER.size:
        raise BusError("bus frame too short")
    version, sent_at = _HEADER.unpack_from(wire)
    if version != _WIRE_VERSION:
        raise BusError(f"unknown bus frame version {version}")
    return wire[_HEADER.size :], sent_at


def check_channel(channel: str) -> str:
    """Channel names are short, printable and non-empty (they become Redis channel names)."""
    if not isinstance(channel, str) or not channel or len(channel) > 200:
        raise ValueError(f"invalid bus channel name: {channel!r}")
    return channel


class Subscription:
    """The payloads published on one channel, in publish order, as an async iterator.

    ``await bus.subscribe(ch)`` (or ``async with bus.subscribe(ch) as sub``) returns once the
    transport confirms the subscription, so that whatever is published afterwards arrives.
    Iteration yields ``bytes`` payloads and :class:`Gap` items; it ends after :meth:`close`.
    """

    def __init__(
        self,
        channel: str,
        *,
        max_pending: int,
        wait_ready: Callable[[], Awaitable[None]],
        on_close: Callable[[Subscription], Awaitable[None]],
    ) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=max_pending + 1)
        self._max_pending = max_pending
        self._wait_ready = wait_ready
        self._on_close = on_close
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def ready(self) -> Subscription:
        """Wait until the transport has confirmed the subscription (or is disconnected)."""
        await self._wait_ready()
        return self

    def __await__(self) -> Generator[Any, None, Subscription]:
        return self.ready().__await__()

    async def __aenter__(self) -> Subscription:
        return await self.ready()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Item:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    def pending(self) -> int:
        """How many items wait to be read."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Stop receiving; the iterator ends once the items already queued are read."""
        if self._closed:
            return
        self._closed = True
        await self._on_close(self)
        self._end()

    # --- for implementations -------------------------------------------------------------

    def deliver(self, item: Item) -> None:
        """Queue ``item`` without ever blocking; on overflow, drop the backlog for a Gap."""
        if self._closed:
            return
        if self._queue.qsize() >= self._max_pending:
            while not self._queue.empty():
                self._queue.get_nowait()
            metrics.BUS_GAPS.labels(reason="overflow").inc()
            item = Gap(self.channel, "overflow")
        self._queue.put_nowait(item)

    def _end(self) -> None:
        # The extra slot in the queue is for this sentinel: it always fits.
        self._closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)


class Bus(ABC):
    """Publish bytes to named channels; subscribe to them on any instance.

    ``instance_id`` names this process on the bus so that it can recognise (and skip) its own
    messages: see :mod:`codepair.bus.envelope`.
    """

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.instance_id = uuid.uuid4().hex[:16]
        self.max_pending = max_pending
        self._channels: dict[str, set[Subscription]] = {}

    async def __aenter__(self) -> Bus:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abstractmethod
    async def start(self) -> None:
        """Connect; raises :class:`BusUnavailable` if the transport cannot be reached."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect and end every subscription."""

    @abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to every subscription of ``channel`` on every instance.

        Never raises for a transport failure: the loss is reported as a :class:`Gap` to this
        instance's subscriptions of ``channel`` once the transport works again (the other
        instances' own connections report theirs). Raises ``TypeError`` for a non-bytes payload.
        """

    async def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Publish ``(channel, payload)`` pairs in order, as :meth:`publish` does each.

        Backends that can send many in one round trip override this; a publisher with a
        queue uses it to keep up with bursts instead of paying one round trip per message.
        """
        for channel, payload in items:
            await self.publish(channel, payload)

    @abstractmethod
    async def ping(self) -> None:
        """Raise :class:`BusUnavailable` unless the transport answers (for ``/readyz``)."""

    # --- leases: one instance holds a named thing (a room's shell) while it renews it ------

    @abstractmethod
    async def claim(self, key: str, ttl: float) -> bool:
        """Take the lease ``key`` for this instance for ``ttl`` seconds if nobody holds it.

        True if this instance holds it now (taken, or already its own: then renewed). Raises
        :class:`BusUnavailable` when the transport cannot be asked.
        """

    @abstractmethod
    async def renew(self, key: str, ttl: float) -> bool:
        """Extend this instance's lease ``key`` by ``ttl`` seconds from now; False if it is
        not (or no longer) this instance's: it expired, or another instance took it since."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Give the lease ``key`` up if this instance holds it (another's is left alone)."""

    @abstractmethod
    async def holder(self, key: str) -> str | None:
        """The ``instance_id`` holding the lease ``key``, or None when nobody does."""

    def subscribe(self, channel: str) -> Subscription:
        """A new subscription to ``channel``; await it to wait for the transport's confirmation."""
        check_channel(channel)
        sub = Subscription(
            channel,
            max_pending=self.max_pending,
            wait_ready=lambda: self._wait_ready(channel),
            on_close=self._remove,
        )
        subs = self._channels.setdefault(channel, set())
        subs.add(sub)
        if len(subs) == 1:
            self._first_subscriber(channel)
        return sub

    # --- for implementations -------------------------------------------------------------

    def _first_subscriber(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Called when this instance gains its first subscription to ``channel``."""

    def _last_subscriber_gone(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Called when this instance's last subscription to ``channel`` closes."""

    async def _wait_ready(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Wait until the transport delivers ``channel`` (default: at once)."""

    async def _remove(self, sub: Subscription) -> None:
        subs = self._channels.get(sub.channel)
        if subs is None or sub not in subs:
            return
        subs.discard(sub)
        if not subs:
            del self._channels[sub.channel]
            self._last_subscriber_gone(sub.channel)

    def _dispatch(self, channel: str, wire: bytes) -> None:
        """Hand one received wire frame to the local subscriptions of ``channel``."""
        subs = self._channels.get(channel)
        if not subs:
            return
        try:
            payload, sent_at = unframe(wire)
        except BusError:
            # Not ours (something else published on our prefix): drop it, keep the bus alive.
            metrics.ERRORS.labels(kind="bus_bad_frame").inc()
            return
        metrics.BUS_LAG.observe(max(0.0, time.time() - sent_at))
        metrics.BUS_MESSAGES.labels(direction="in").inc()
        for sub in tuple(subs):
            sub.deliver(payload)

    def _gap(self, reason: str, channels: set[str] | None = None) -> None:
        """Tell the local subscriptions of ``channels`` (default: all) to re-sync."""
        targets = self._channels.keys() if channels is None else channels
        for channel in tuple(targets):
            for sub in tuple(self._channels.get(channel, ())):
                sub.deliver(Gap(channel, reason))
        metrics.BUS_GAPS.labels(reason=reason).inc()

    def _end_all(self) -> None:
        for subs in self._channels.values():
            for sub in subs:
                sub._end()
        self._channels.clear()
