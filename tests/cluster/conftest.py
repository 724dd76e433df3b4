"""Fixtures for the cluster tests: real processes, a fresh PostgreSQL database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.bus.servers import PrivateRedis
from tests.cluster.support import SHARED_REDIS_URL, Cluster, require_services, start_cluster
from tests.hub.nodeclients import NodeClients


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """One core and two peers on the shared Redis (with a channel prefix of their own)."""
    require_services()
    started = start_cluster(tmp_path, SHARED_REDIS_URL)
    yield started
    started.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A ``redis-server`` of this test's own, which it may kill and start again."""
    require_services()
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_cluster(tmp_path: Path, private_redis: PrivateRedis) -> Iterator[Cluster]:
    """The cluster on the private Redis."""
    started = start_cluster(tmp_path, private_redis.url)
    yield started
    started.stop()


@pytest.fixture
async def node() -> AsyncIterator[NodeClients]:
    clients = await NodeClients.start()
    yield clients
    await clients.close()
