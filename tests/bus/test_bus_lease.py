"""The lease primitive: one instance holds a key while it renews it. Memory and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from codepair.bus import Bus

BusFactory = Callable[..., Awaitable[Bus]]


async def test_one_instance_holds_a_lease_and_the_others_see_it(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    assert await a.holder("room.r1.terminal.owner") is None
    assert await a.claim("room.r1.terminal.owner", 5.0)
    assert not await b.claim("room.r1.terminal.owner", 5.0)
    assert await b.holder("room.r1.terminal.owner") == a.instance_id
    # Claiming one's own lease again keeps it (and renews it).
    assert await a.claim("room.r1.terminal.owner", 5.0)
    # Another key is another lease.
    assert await b.claim("room.r2.terminal.owner", 5.0)
    assert await a.holder("room.r2.terminal.owner") == b.instance_id


async def test_only_the_holder_renews_or_releases(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    assert await a.claim("k", 5.0)
    assert not await b.renew("k", 5.0)
    await b.release("k")  # not b's: left alone
    assert await b.holder("k") == a.instance_id
    assert await a.renew("k", 5.0)
    await a.release("k")
    assert await a.holder("k") is None
    assert await b.claim("k", 5.0)
    assert not await a.renew("k", 5.0)


async def test_a_lease_not_renewed_expires_and_another_may_take_it(
    bus_factory: BusFactory,
) -> None:
    a, b = await bus_factory(), await bus_factory()
    assert await a.claim("k", 0.3)
    await asyncio.sleep(0.15)
    assert await a.renew("k", 0.3)  # renewed: still a's a while longer
    await asyncio.sleep(0.2)
    assert not await b.claim("k", 0.3)
    await asyncio.sleep(0.4)
    # a stopped renewing (an instance killed): the lease is free, b takes it, a cannot renew.
    assert await b.holder("k") is None
    assert await b.claim("k", 5.0)
    assert not await a.renew("k", 5.0)
    assert await a.holder("k") == b.instance_id


async def test_two_instances_claiming_at_once_get_one_holder(bus_factory: BusFactory) -> None:
    buses = [await bus_factory() for _ in range(4)]
    won = await asyncio.gather(*(bus.claim("race", 5.0) for bus in buses))
    assert sum(won) == 1
    winner = buses[won.index(True)]
    assert {await bus.holder("race") for bus in buses} == {winner.instance_id}
