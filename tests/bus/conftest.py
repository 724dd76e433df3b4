"""Fixtures for the bus contract suite: every test runs on the memory bus and on Redis.

Redis tests use the shared server (``CODEPAIR_TEST_REDIS_URL``, default 127.0.0.1:6379) with a
random channel prefix, or a private ``redis-server`` on a free port when they restart it.
Under CI a missing Redis fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis

from codepair.bus import Bus, MemoryBroker, MemoryBus, RedisBus

SHARED_REDIS_URL = os.environ.get("CODEPAIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

BusFactory = Callable[..., Awaitable[Bus]]


def missing(what: str) -> None:
    """Skip a test for a missing service, or fail it under CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI is set: a missing service fails the run)")
    pytest.skip(f"{what} (set CI=1 to fail instead)")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A throw-away ``redis-server`` on a free port, which tests may stop and start."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed")
            return
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.02)
            finally:
                client.close()

    def stop(self) -> None:
        """Kill it the hard way: a crash, not a polite shutdown."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
