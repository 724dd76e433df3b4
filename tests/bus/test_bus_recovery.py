"""Losing the transport: Redis restarts, silent networks, and what subscribers are told."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from codepair.bus import (
    BusUnavailable,
    Gap,
    Item,
    MemoryBroker,
    MemoryBus,
    RedisBus,
    Subscription,
    create_bus,
)
from codepair.config import Settings
from tests.bus.servers import PrivateRedis, free_port


async def until(sub: Subscription, wanted: Item, timeout: float = 10.0) -> list[Item]:
    """Read ``sub`` until ``wanted`` arrives; everything read on the way, ``wanted`` last."""
    seen: list[Item] = []
    async with asyncio.timeout(timeout):
        while not seen or seen[-1] != wanted:
            seen.append(await anext(sub))
    return seen


@contextlib.asynccontextmanager
async def redis_bus(url: str, **kwargs: Any) -> AsyncIterator[RedisBus]:
    bus = RedisBus(url, **kwargs)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


@pytest.mark.redis
async def test_after_a_redis_restart_instances_reconnect_and_report_a_gap(
    private_redis: PrivateRedis,
) -> None:
    async with redis_bus(private_redis.url) as a, redis_bus(private_redis.url) as b:
        on_a, on_b = await a.subscribe("room.x"), await b.subscribe("room.x")
        await a.publish("room.x", b"before")
        assert await until(on_b, b"before") == [b"before"]
        assert await until(on_a, b"before") == [b"before"]

        private_redis.stop()
        # Publishing into the outage neither raises nor blocks: the loss is reported as a gap.
        async with asyncio.timeout(5):
            await a.publish("room.x", b"into the void")
        with pytest.raises(BusUnavailable):
            async with asyncio.timeout(5):
                await a.ping()
                await asyncio.sleep(0.2)  # the reader may need a moment to notice
                await a.ping()
        # Subscribing during the outage does not block either.
        async with asyncio.timeout(1):
            late = await b.subscribe("room.late")

        started = time.monotonic()
        private_redis.start()
        gap = Gap("room.x", "reconnected")
        for sub in (on_a, on_b):
            assert gap in await until(sub, gap)
        assert Gap("room.late", "reconnected") in await until(late, Gap("room.late", "reconnected"))
        recovered = time.monotonic() - started
        assert recovered < 5, f"took {recovered:.1f}s to recover"

        await a.ping()
        await b.publish("room.x", b"after")
        await a.publish("room.late", b"late news")
        assert await until(on_a, b"after") == [b"after"]
        assert await until(on_b, b"after") == [b"after"]
        assert await until(late, b"late news") == [b"late news"]


class Blackhole:
    """A TCP proxy that can silently drop every byte without closing a connection.

    A Redis restart closes sockets and is noticed at once; a network that drops packets
    (a NAT or load balancer forgetting the flow) is silent, and only pings reveal it.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.dropping = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if not self.dropping:
                    writer.write(data)
                    await writer.drain()
        writer.close()


@pytest.mark.redis
async def test_a_silent_network_is_noticed_by_pings_and_reported_as_a_gap(
    private_redis: PrivateRedis,
) -> None:
    proxy = Blackhole(private_redis.port)
    await proxy.start()
    try:
        behind_proxy = f"redis://127.0.0.1:{proxy.port}/0"
        async with (
            redis_bus(behind_proxy, ping_every=0.2, dead_after=0.8) as a,
            redis_bus(private_redis.url) as b,
        ):
            sub = await a.subscribe("room.y")
            await b.publish("room.y", b"one")
            assert await until(sub, b"one") == [b"one"]

            proxy.dropping = True
            await b.publish("room.y", b"lost")
            await asyncio.sleep(1.5)  # longer than dead_after: a has given up on the socket
            proxy.dropping = False

            gap = Gap("room.y", "reconnected")
            assert await until(sub, gap) == [gap]  # "lost" is gone; the gap says so
            await b.publish("room.y", b"two")
            assert await until(sub, b"two") == [b"two"]
    finally:
        await proxy.close()


@pytest.mark.redis
async def test_a_foreign_message_on_our_channels_is_dropped_and_the_bus_goes_on(
    private_redis: PrivateRedis,
) -> None:
    async with redis_bus(private_redis.url, prefix="p:") as bus:
        sub = await bus.subscribe("room.x")
        client = redis.asyncio.Redis.from_url(private_redis.url)
        try:
            await client.publish("p:room.x", b"hi")  # e.g. someone trying redis-cli
        finally:
            await client.aclose()
        await bus.publish("room.x", b"ours")
        assert await until(sub, b"ours") == [b"ours"]


@pytest.mark.redis
async def test_start_fails_fast_when_redis_is_not_there() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BusUnavailable):
        await bus.start()
    assert time.monotonic() - started < 3


async def test_memory_outage_drops_messages_and_reports_a_gap() -> None:
    broker = MemoryBroker()
    async with MemoryBus(broker) as a, MemoryBus(broker) as b:
        sub = await b.subscribe("room.z")
        async with broker.outage():
            await a.publish("room.z", b"lost")
        await a.publish("room.z", b"after")
        assert await until(sub, b"after") == [Gap("room.z", "reconnected"), b"after"]


async def test_memory_bus_hands_over_copies_in_wire_form() -> None:
    async with MemoryBus() as bus:
        sub = await bus.subscribe("c")
        sent = bytearray(b"mutable")
        await bus.publish("c", sent)
        sent[:] = b"changed"  # the publisher reusing its buffer must not reach subscribers
        (item,) = [await anext(sub)]
        assert item == b"mutable"
        assert type(item) is bytes


def test_create_bus_picks_redis_only_when_configured(tmp_path: Path) -> None:
    memory = create_bus(Settings(data_dir=tmp_path))
    assert isinstance(memory, MemoryBus)
    redis_bus = create_bus(
        Settings(data_dir=tmp_path, redis_url="redis://h:6379/0", redis_channel_prefix="p:")
    )
    assert isinstance(redis_bus, RedisBus)
    assert (redis_bus.url, redis_bus.prefix) == ("redis://h:6379/0", "p:")
