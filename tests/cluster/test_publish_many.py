"""``Bus.publish_many``, which the hub bridge publishes with: order and delivery on both buses."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from codepair.bus import Bus, MemoryBroker, MemoryBus, RedisBus
from tests.cluster.support import SHARED_REDIS_URL, require_services


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_batch_arrives_whole_and_in_order_on_every_channel(kind: str) -> None:
    a: Bus
    b: Bus
    if kind == "redis":
        require_services()
        prefix = f"test-{uuid.uuid4().hex[:8]}:"
        a, b = RedisBus(SHARED_REDIS_URL, prefix=prefix), RedisBus(SHARED_REDIS_URL, prefix=prefix)
    else:
        broker = MemoryBroker()
        a, b = MemoryBus(broker), MemoryBus(broker)
    async with a, b:
        one, two = await b.subscribe("room.r1"), await b.subscribe("room.r2")
        batch = [(f"room.r{1 + i % 2}", str(i).encode()) for i in range(500)]
        await a.publish_many(batch[:1])
        await a.publish_many(batch[1:])
        async with asyncio.timeout(5):
            got_one = [await anext(one) for _ in range(250)]
            got_two = [await anext(two) for _ in range(250)]
        assert got_one == [p for c, p in batch if c == "room.r1"]
        assert got_two == [p for c, p in batch if c == "room.r2"]
