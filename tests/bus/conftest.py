"""Fixtures for the bus contract suite: every test runs on the memory bus and on Redis.

Redis tests use the shared server (``CODEPAIR_TEST_REDIS_URL``, default 127.0.0.1:6379) with a
random channel prefix, or a private ``redis-server`` on a free port when they restart it.
Under CI a missing Redis fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis

from codepair.bus import Bus, MemoryBroker, MemoryBus, RedisBus
from tests.bus.servers import PrivateRedis, missing

SHARED_REDIS_URL = os.environ.get("CODEPAIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

BusFactory = Callable[..., Awaitable[Bus]]


@pytest.fixture(scope="session")
def shared_redis_url() -> str:
    """The shared Redis server, checked once."""
    try:
        redis.Redis.from_url(SHARED_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        missing(f"Redis is not reachable at {SHARED_REDIS_URL}: {exc}")
    return SHARED_REDIS_URL


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus_factory(request: pytest.FixtureRequest) -> AsyncIterator[BusFactory]:
    """Start buses that behave as instances of one deployment; all are closed afterwards."""
    started: list[Bus] = []
    broker = MemoryBroker()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    url = request.getfixturevalue("shared_redis_url") if request.param == "redis" else ""

    async def start(**kwargs: object) -> Bus:
        bus: Bus
        if request.param == "memory":
            bus = MemoryBus(broker, **kwargs)  # type: ignore[arg-type]
        else:
            bus = RedisBus(url, prefix=prefix, **kwargs)  # type: ignore[arg-type]
        await bus.start()
        started.append(bus)
        return bus

    yield start
    for bus in started:
        await bus.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
