"""The bus between instances on Redis Pub/Sub (why Pub/Sub: docs/adr/0003-bus.md).

One connection per instance subscribes to every channel that has a local subscriber; a reader
task fans each message out to the local subscriptions. Publishing uses a separate pooled
connection. When the subscriber connection breaks (Redis restarted, a network blip, or no
answer to our pings), the reader reconnects with backoff, subscribes again, and only then sends
every local subscription a ``Gap``, so that the re-sync it triggers is itself delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any, Final

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from codepair import metrics
from codepair.bus.base import DEFAULT_MAX_PENDING, Bus, BusUnavailable, check_channel, frame

log = structlog.get_logger("codepair.bus")

# Idle subscriber connections are pinged this often; a connection that has not answered for
# DEAD_AFTER seconds is treated as broken. TCP alone can take many minutes to notice a peer
# that vanished (a NAT or load balancer dropping state), and a silent bus loses updates.
PING_EVERY: Final = 5.0
DEAD_AFTER: Final = 15.0
_BACKOFF_FIRST: Final = 0.05
_BACKOFF_MAX: Final = 2.0

# Leases are keys whose value is the holder's instance id; renewing and releasing check the
# value and act in one step (a script), so an instance never extends or deletes a lease that
# expired and was taken by another in between.
_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisBus(Bus):
    """A bus on a Redis server (``url``, e.g. ``redis://redis:6379/0``).

    ``prefix`` namespaces the channel names, so several deployments (or test runs) can share
    one Redis.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "codepair:",
        max_pending: int = DEFAULT_MAX_PENDING,
        connect_timeout: float = 10.0,
        ping_every: float = PING_EVERY,
        dead_after: float = DEAD_AFTER,
    ) -> None:
        super().__init__(max_pending=max_pending)
        self.url = url
        self.prefix = prefix
        self.connect_timeout = connect_timeout
        self.ping_every = ping_every
        self.dead_after = dead_after
        self._publisher: Redis | None = None
        self._subscriber: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._commands: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._control: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        # Channels subscribed on the current connection; their confirmation wakes waiters.
        self._confirmed: set[str] = set()
        self._confirm_waiters: dict[str, asyncio.Event] = {}
        # Channels sent SUBSCRIBE and not yet confirmed, with when: the gap waits for them,
        # and one that stays unconfirmed too long means the connection is dead.
        self._unconfirmed: dict[str, float] = {}
        # SUBSCRIBE/UNSUBSCRIBE commands sent per channel and not yet answered: only the
        # answer to the last one tells whether Redis now delivers the channel.
        self._inflight: dict[str, int] = {}
        self._gap_pending = False
        self._publish_failed: set[str] = set()
        self._last_heard = 0.0
        self._last_ping = 0.0
        self._closing = False

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        common: dict[str, Any] = {"socket_connect_timeout": 2.0, "socket_keepalive": True}
        # Publishing retries twice, quickly: after a Redis restart the pooled connection is
        # stale, and the first command on it fails even though Redis is back.
        self._publisher = Redis.from_url(
            self.url,
            socket_timeout=5.0,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 2),
            **common,
        )
        # The subscriber must not reconnect silently: we reconnect it ourselves so that we
        # know when to tell subscribers about a gap.
        self._subscriber = Redis.from_url(self.url, retry=Retry(NoBackoff(), 0), **common)
        self._reader = asyncio.create_task(self._read_forever(), name="bus-redis-reader")
        self._control = asyncio.create_task(self._run_commands(), name="bus-redis-control")
        try:
            async with asyncio.timeout(self.connect_timeout):
                await self._connected.wait()
        except TimeoutError:
            await self.close()
            raise BusUnavailable(f"Redis is not reachable at {_safe(self.url)}") from None

    async def close(self) -> None:
        # redis-py can turn a cancellation inside a command into a connection error, which
        # our loops would take for a blip and retry: the flag makes them stop regardless.
        self._closing = True
        for task in (self._reader, self._control):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._reader = self._control = None
        await self._drop_pubsub()
        for client in (self._publisher, self._subscriber):
            if client is not None:
                await client.aclose()
        self._publisher = self._subscriber = None
        self._end_all()

    # --- publishing ----------------------------------------------------------------------

    async def publish(self, channel: str, payload: bytes) -> None:
        check_channel(channel)
        wire = frame(payload)
        if self._publisher is None:
            raise BusUnavailable("the bus is not started")
        if not self._connected.is_set():
            # Known to be down: fail at once rather than wait for connect timeouts in the
            # caller's hot path. The reconnection's gap covers what is dropped here.
            metrics.ERRORS.labels(kind="bus_publish").inc()
            self._publish_failed.add(channel)
            return
        started = time.perf_counter()
        try:
            await self._publisher.publish(self.prefix + channel, wire)
        except (RedisError, OSError) as exc:
            metrics.ERRORS.labels(kind="bus_publish").inc()
            log.warning("bus_publish_failed", channel=channel, error=type(exc).__name__)
            self._publish_failed.add(channel)
            return
        metrics.BUS_PUBLISH_SECONDS.observe(time.perf_counter() - started)
        metrics.BUS_MESSAGES.labels(direction="out").inc()
        if self._publish_failed:
            # Redis answers again: whoever lost our earlier messages re-syncs now.
            failed, self._publish_failed = self._publish_failed, set()
            self._gap("publish_failed", failed)

    async def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Publish in order in one round trip (a pipeline on one connection keeps the order)."""
        if len(items) == 1:
            await self.publish(*items[0])
            return
        if self._publisher is None:
            raise BusUnavailable("the bus is not started")
        channels = [check_channel(channel) for channel, _ in items]
        if not self._connected.is_set():
            metrics.ERRORS.labels(kind="bus_publish").inc()
            self._publish_failed.update(channels)
            return
        started = time.perf_counter()
        try:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel, payload in items:
                    pipe.publish(self.prefix + channel, frame(payload))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            metrics.ERRORS.labels(kind="bus_publish").inc()
            log.warning("bus_publish_failed", channels=len(items), error=type(exc).__name__)
            self._publish_failed.update(channels)
            return
        metrics.BUS_PUBLISH_SECONDS.observe(time.perf_counter() - started)
        metrics.BUS_MESSAGES.labels(direction="out").inc(len(items))
        if self._publish_failed:
            failed, self._publish_failed = self._publish_failed, set()
            self._gap("publish_failed", failed)

    async def ping(self) -> None:
        if self._publisher is None or not self._connected.is_set():
            raise BusUnavailable("the bus is not connected")
        try:
            await self._publisher.ping()
        except (RedisError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc

    # --- leases --------------------------------------------------------------------------

    def _lease_client(self) -> Redis:
        if self._publisher is None:
            raise BusUnavailable("the bus is not started")
        return self._publisher

    async def claim(self, key: str, ttl: float) -> bool:
        client = self._lease_client()
        try:
            # SET NX PX: taken only if free; then our own lease is renewed (a repeated claim).
            if await client.set(self.prefix + key, self.instance_id, nx=True, px=_ms(ttl)):
                return True
            return await self.renew(key, ttl)
        except (RedisError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc

    async def renew(self, key: str, ttl: float) -> bool:
        client = self._lease_client()
        try:
            done = await client.eval(
                _RENEW, 1, self.prefix + key, self.instance_id, _ms(ttl)
            )
        except (RedisError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc
        return bool(done)

    async def release(self, key: str) -> None:
        client = self._lease_client()
        try:
            await client.eval(_RELEASE, 1, self.prefix + key, self.instance_id)
        except (RedisError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc

    async def holder(self, key: str) -> str | None:
        client = self._lease_client()
        try:
            value = await client.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    # --- subscribing ---------------------------------------------------------------------

    def _first_subscriber(self, channel: str) -> None:
        self._commands.put_nowait(("subscribe", channel))

    def _last_subscriber_gone(self, channel: str) -> None:
        self._commands.put_nowait(("unsubscribe", channel))

    async def _wait_ready(self, channel: str) -> None:
        # While Redis is away nobody can be confirmed; the subscription will get a Gap when
        # the connection comes back, which tells its owner to re-sync. Do not block it.
        while channel in self._channels and channel not in self._confirmed:
            if not self._connected.is_set():
                return
            waiter = self._confirm_waiters.setdefault(channel, asyncio.Event())
            await waiter.wait()

    async def _run_commands(self) -> None:
        """Send SUBSCRIBE/UNSUBSCRIBE in the order the subscriptions changed."""
        while not self._closing:
            command, channel = await self._commands.get()
            pubsub = self._pubsub
            wanted = channel in self._channels
            # A stale command (the channel changed hands since) is skipped; after a reconnect
            # the reader subscribes every wanted channel itself.
            if pubsub is None or (command == "subscribe") != wanted:
                continue
            try:
                self._inflight[channel] = self._inflight.get(channel, 0) + 1
                if command == "subscribe":
                    self._unconfirmed.setdefault(channel, time.monotonic())
                    await pubsub.subscribe(self.prefix + channel)
                else:
                    self._confirmed.discard(channel)
                    self._unconfirmed.pop(channel, None)
                    await pubsub.unsubscribe(self.prefix + channel)
            except Exception as exc:
                # A broken connection: the reader sees it too and re-subscribes everything.
                # Anything else is logged; this task must outlive it either way.
                if not isinstance(exc, RedisError | OSError):
                    log.error("bus_command_failed", command=command, exc_info=exc)
                continue

    # --- the reader ----------------------------------------------------------------------

    async def _read_forever(self) -> None:
        backoff = _BACKOFF_FIRST
        while not self._closing:
            try:
                await self._connect()
                backoff = _BACKOFF_FIRST
                await self._pump()
            except Exception as exc:
                # Connection trouble above all; anything else is a bug, but a reader that dies
                # leaves the instance deaf for good, so it is logged and survived the same way.
                if self._closing:
                    return
                if not isinstance(exc, RedisError | OSError | TimeoutError):
                    log.error("bus_reader_failed", error=type(exc).__name__, exc_info=exc)
                if self._connected.is_set():
                    log.warning("bus_disconnected", error=type(exc).__name__, detail=str(exc))
                    metrics.ERRORS.labels(kind="bus_disconnected").inc()
                self._connected.clear()
                metrics.BUS_CONNECTED.set(0)
                self._gap_pending = True
                await self._drop_pubsub()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _connect(self) -> None:
        assert self._subscriber is not None
        pubsub = self._subscriber.pubsub()
        try:
            # A full round trip, bounded: on a network that drops packets, connecting can
            # hang as long as the kernel keeps retrying.
            async with asyncio.timeout(self.dead_after):
                await pubsub.ping()
                pong = await pubsub.get_message(timeout=self.dead_after)
            if pong is None:
                raise TimeoutError("no PONG from Redis")
        except BaseException:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
            raise
        # From here on the control task subscribes new channels; the ones wanted so far are
        # subscribed below. No await between these lines, so none falls in between.
        self._pubsub = pubsub
        self._confirmed.clear()
        channels = set(self._channels)
        now = time.monotonic()
        self._unconfirmed = dict.fromkeys(channels, now)
        self._inflight = dict.fromkeys(channels, 1)
        self._last_heard = self._last_ping = now
        if channels:
            await pubsub.subscribe(*(self.prefix + ch for ch in channels))
        if self._gap_pending:
            log.info("bus_reconnected", channels=len(channels))
        self._connected.set()
        metrics.BUS_CONNECTED.set(1)
        self._maybe_release_gap()

    async def _pump(self) -> None:
        assert self._pubsub is not None
        pubsub = self._pubsub
        while not self._closing:
            message = await pubsub.get_message(timeout=min(1.0, self.ping_every))
            now = time.monotonic()
            if message is not None:
                self._last_heard = now
                self._handle(message)
                continue
            if now - self._last_heard > self.dead_after:
                raise TimeoutError("no answer from Redis")
            if self._unconfirmed and now - min(self._unconfirmed.values()) > self.dead_after:
                raise TimeoutError("Redis did not confirm a subscription")
            if now - self._last_ping > self.ping_every and now - self._last_heard > self.ping_every:
                self._last_ping = now
                await pubsub.ping()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        raw = message.get("channel")
        channel = raw.decode() if isinstance(raw, bytes) else raw
        if isinstance(channel, str) and channel.startswith(self.prefix):
            channel = channel[len(self.prefix) :]
        if kind == "message" and isinstance(channel, str):
            self._dispatch(channel, message["data"])
        elif kind in ("subscribe", "unsubscribe") and isinstance(channel, str):
            pending = self._inflight.get(channel, 0) - 1
            if pending > 0:
                self._inflight[channel] = pending
                return  # a later command's answer decides
            self._inflight.pop(channel, None)
            if kind == "subscribe" and channel in self._channels:
                self._confirmed.add(channel)
                self._unconfirmed.pop(channel, None)
                waiter = self._confirm_waiters.pop(channel, None)
                if waiter is not None:
                    waiter.set()
                self._maybe_release_gap()

    def _maybe_release_gap(self) -> None:
        # The gap goes out only once every channel is subscribed again: a re-sync request
        # that the subscriber sends in answer must find its replies delivered.
        if self._gap_pending and not self._unconfirmed:
            self._gap_pending = False
            self._publish_failed.clear()
            self._gap("reconnected")

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._confirmed.clear()
        self._unconfirmed.clear()
        self._inflight.clear()
        # Wake waiters so they see the disconnected state instead of hanging.
        for waiter in self._confirm_waiters.values():
            waiter.set()
        self._confirm_waiters.clear()
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _safe(url: str) -> str:
    """``url`` without its password, for messages."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
