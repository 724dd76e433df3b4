"""The bus contract: what every backend guarantees. Each test runs on memory and on Redis."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Awaitable, Callable

import pytest

from codepair.bus import (
    ROOM_ENDED,
    USER_REVOKED,
    Bus,
    EventEnvelope,
    Gap,
    Item,
    Subscription,
    YjsEnvelope,
    decode_envelope,
    encode_event,
    encode_yjs,
    publish_room_ended,
    publish_user_revoked,
)

BusFactory = Callable[..., Awaitable[Bus]]


async def receive(sub: Subscription, count: int = 1, timeout: float = 5.0) -> list[Item]:
    """The next ``count`` items of ``sub``, or fail after ``timeout`` seconds."""
    items: list[Item] = []
    async with asyncio.timeout(timeout):
        while len(items) < count:
            items.append(await anext(sub))
    return items


async def nothing_more(sub: Subscription, bus_marker: tuple[object, str]) -> None:
    """Show that ``sub`` has nothing queued before a marker published after the fact."""
    bus, channel = bus_marker
    await bus.publish(channel, b"marker")  # type: ignore[attr-defined]
    assert await receive(sub) == [b"marker"]


async def test_every_subscriber_on_every_instance_gets_each_message(
    bus_factory: BusFactory,
) -> None:
    a, b = await bus_factory(), await bus_factory()
    subs = [await a.subscribe("room.r1"), await a.subscribe("room.r1")]
    subs.append(await b.subscribe("room.r1"))
    await a.publish("room.r1", b"one")
    await b.publish("room.r1", b"two")
    for sub in subs:
        assert await receive(sub, 2) == [b"one", b"two"]


async def test_messages_on_a_channel_arrive_in_publish_order(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    sub = await b.subscribe("ordered")
    sent = [str(i).encode() for i in range(500)]
    for payload in sent:
        await a.publish("ordered", payload)
    assert await receive(sub, len(sent)) == sent


async def test_a_closed_subscription_ends_and_the_others_go_on(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    leaving = await b.subscribe("chan")
    staying = await b.subscribe("chan")
    await a.publish("chan", b"before")
    assert await receive(staying) == [b"before"]  # so it is in both queues now
    await leaving.close()
    await a.publish("chan", b"after")
    assert await receive(staying) == [b"after"]
    # What was queued before the close is still read; then the iteration ends.
    assert [item async for item in leaving] == [b"before"]

    # The instance's last subscription goes and a new one comes at once: the new one must
    # not be lost between the transport's unsubscribe and subscribe.
    await staying.close()
    again = await b.subscribe("chan")
    await a.publish("chan", b"again")
    assert await receive(again) == [b"again"]


async def test_channels_are_isolated(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    code = await b.subscribe("room.r1.yjs.code")
    notes = await b.subscribe("room.r1.yjs.notes")
    other_room = await b.subscribe("room.r2.yjs.code")
    await a.publish("room.r1.yjs.code", b"keystroke")
    assert await receive(code) == [b"keystroke"]
    await nothing_more(notes, (a, "room.r1.yjs.notes"))
    await nothing_more(other_room, (a, "room.r2.yjs.code"))


async def test_large_binary_and_empty_payloads_arrive_intact(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    sub = await b.subscribe("big")
    payloads = [os.urandom(2 * 1024 * 1024), bytes(range(256)) * 4, b"", b"\x00\r\n"]
    for payload in payloads:
        await a.publish("big", payload)
    assert await receive(sub, len(payloads)) == payloads


async def test_what_cannot_cross_a_network_fails_at_publish(bus_factory: BusFactory) -> None:
    a, b = await bus_factory(), await bus_factory()
    sub = await b.subscribe("typed")
    for not_bytes in ({"type": "chat"}, "text", 42, None):
        with pytest.raises(TypeError):
            await a.publish("typed", not_bytes)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_event(a.instance_id, {"type": "x", "at": object()})
    with pytest.raises(ValueError):
        encode_event(a.instance_id, {"type": "x", "score": math.nan})
    with pytest.raises(ValueError):
        await a.publish("", b"no channel")
    await nothing_more(sub, (a, "typed"))


async def test_envelopes_carry_origin_so_an_instance_can_skip_its_own(
    bus_factory: BusFactory,
) -> None:
    a, b = await bus_factory(), await bus_factory()
    assert a.instance_id != b.instance_id
    on_a = await a.subscribe("room.r1.events")
    on_b = await b.subscribe("room.r1.events")
    await a.publish("room.r1.events", encode_event(a.instance_id, {"type": "chat", "text": "é"}))
    await a.publish("room.r1.events", encode_yjs(a.instance_id, "code", b"\x00\x02\x01"))
    for sub in (on_a, on_b):
        event, frame = (decode_envelope(_payload(item)) for item in await receive(sub, 2))
        assert event == EventEnvelope(origin=a.instance_id, event={"type": "chat", "text": "é"})
        assert frame == YjsEnvelope(origin=a.instance_id, doc="code", frame=b"\x00\x02\x01")
    # Redis hands a publisher its own messages back: the origin is how it recognises them.
    assert event.origin == a.instance_id != b.instance_id


def _payload(item: Item) -> bytes:
    assert isinstance(item, bytes), item
    return item


async def test_room_ended_and_user_revoked_reach_every_instance(bus_factory: BusFactory) -> None:
    core, peer1, peer2 = await bus_factory(), await bus_factory(), await bus_factory()
    ended = [await peer1.subscribe(ROOM_ENDED), await peer2.subscribe(ROOM_ENDED)]
    revoked = [await peer1.subscribe(USER_REVOKED), await peer2.subscribe(USER_REVOKED)]
    await publish_room_ended(core, "room-123")
    await publish_user_revoked(core, 7)
    for sub in ended:
        (item,) = await receive(sub)
        assert isinstance(item, bytes)
        assert decode_envelope(item) == EventEnvelope(
            core.instance_id, {"type": "room.ended", "room_id": "room-123"}
        )
    for sub in revoked:
        (item,) = await receive(sub)
        assert isinstance(item, bytes)
        assert decode_envelope(item) == EventEnvelope(
            core.instance_id, {"type": "user.revoked", "user_id": 7}
        )


async def test_a_subscriber_that_falls_behind_gets_a_gap_not_an_endless_queue(
    bus_factory: BusFactory,
) -> None:
    a, slow = await bus_factory(), await bus_factory(max_pending=10)
    flood = await slow.subscribe("flood")
    done = await slow.subscribe("flood.done")
    for i in range(50):
        await a.publish("flood", str(i).encode())
    await a.publish("flood.done", b"done")
    # One publisher's messages reach one instance in order, across channels too: once "done"
    # is in, all 50 have been handed to the unread subscription.
    assert await receive(done) == [b"done"]
    items = await receive(flood, flood.pending())
    assert items[0] == Gap("flood", "overflow")
    assert items[-1] == b"49"
    assert len(items) <= 10
    # It goes on working after the gap.
    await a.publish("flood", b"fresh")
    assert await receive(flood) == [b"fresh"]


async def test_ping_answers_while_the_bus_is_up(bus_factory: BusFactory) -> None:
    bus = await bus_factory()
    await bus.ping()


async def test_close_returns_promptly_with_commands_in_flight(bus_factory: BusFactory) -> None:
    bus = await bus_factory()
    subs = [await bus.subscribe(f"c{i}") for i in range(20)]
    for sub in subs:
        await sub.close()  # each queues an unsubscribe that is still in flight below
    async with asyncio.timeout(5):
        await bus.close()
    assert all(sub.closed for sub in subs)


async def test_subscribe_unsubscribe_subscribe_in_a_burst_still_delivers(
    bus_factory: BusFactory,
) -> None:
    a, b = await bus_factory(), await bus_factory()
    for i in range(20):
        channel = f"burst.{i}"
        first = b.subscribe(channel)  # not awaited: its confirmation is still on the way
        for _ in range(i % 5):  # let the transport get more or less far with it
            await asyncio.sleep(0)
        await first.close()
        second = await b.subscribe(channel)
        await a.publish(channel, b"hello")
        assert await receive(second) == [b"hello"], f"round {i}"
        await second.close()
