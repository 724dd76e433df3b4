"""Two hubs in one process on a memory bus: a bus outage is repaired by the re-sync."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, Text, create_update_message

from codepair.bus import MemoryBroker, MemoryBus
from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.migrate import upgrade
from codepair.db.models.accounts import Role, User
from codepair.db.models.interviews import Room
from codepair.db.reads import Reads
from codepair.hub import Hub
from codepair.hub.connection import AsgiConnection
from codepair.security.tokens import Principal


class FakeSocket:
    """A transport that keeps what the hub sends."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.texts: list[dict[str, Any]] = []

    async def send_bytes(self, data: bytes) -> None:
        self.frames.append(data)

    async def send_text(self, data: str) -> None:
        self.texts.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass

    async def receive(self) -> MutableMapping[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


LEAD = Principal(kind="access", role="lead", name="Lena", user_id=1, session_id="s")


@pytest.fixture
async def two_hubs(tmp_path: Path) -> AsyncIterator[tuple[Hub, Hub, MemoryBroker]]:
    settings = Settings(data_dir=tmp_path, group_commit_ms=20)
    upgrade(settings)
    engine = create_engine(settings)
    db = session_factory(engine)
    reads = Reads(settings, engine)
    async with transaction(db) as session:
        session.add(User(id=1, email="l@example.com", name="Lena", role=Role.lead,
                         password_hash="x"))  # fmt: skip
        await session.flush()
        session.add(Room(id="r1", candidate_name="Cody", owner_id=1, language="go"))
    broker = MemoryBroker()
    hubs = []
    for _ in range(2):
        bus = MemoryBus(broker)
        await bus.start()
        hub = Hub(settings, db, reads, bus=bus)
        await hub.start()
        hubs.append((hub, bus))
    yield hubs[0][0], hubs[1][0], broker
    for hub, bus in hubs:
        await hub.stop()
        await bus.close()
    reads.close()
    await engine.dispose()


def _typed(text: str, base: Doc[Any]) -> bytes:
    """A y-websocket update frame that appends ``text`` to ``base``'s code."""
    before = base.get_state()
    base.get("code", type=Text).insert(len(str(base.get("code", type=Text))), text)
    return create_update_message(base.get_update(before))


async def _eventually(check: Any, timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def test_outage_on_the_bus_is_repaired_by_a_resync(
    two_hubs: tuple[Hub, Hub, MemoryBroker],
) -> None:
    one, two, broker = two_hubs
    sock_a, sock_b = FakeSocket(), FakeSocket()
    conn_a = AsgiConnection(sock_a, LEAD, "owner", outbox_max=1000)
    conn_b = AsgiConnection(sock_b, LEAD, "owner", outbox_max=1000)
    conn_a.start()
    conn_b.start()
    room_a = await one.join_doc("r1", "code", conn_a)
    room_b = await two.join_doc("r1", "code", conn_b)

    def code(room: Any) -> str:
        return str(room.doc.get("code", type=Text))

    writer_a: Doc[Any] = Doc()
    writer_b: Doc[Any] = Doc()
    room_a.receive(conn_a, _typed("one ", writer_a))
    await _eventually(lambda: code(room_b) == "one ")
    # Both instances seeded nothing twice: the language is there once.
    assert dict(room_b.doc.get("meta", type=Map)) == {"language": "go"}

    async with broker.outage():  # everything published now is lost
        room_a.receive(conn_a, _typed("lost-a ", writer_a))
        room_b.receive(conn_b, _typed("lost-b ", writer_b))
        await asyncio.sleep(0.05)
        assert "lost-b" not in code(room_a) and "lost-a" not in code(room_b)
    # The gap makes each instance publish its state vector and state: both converge.
    await _eventually(lambda: code(room_a) == code(room_b) and "lost-b" in code(room_a))
    assert sorted(code(room_a).split()) == ["lost-a", "lost-b", "one"]
    # And the socket on each instance got the other instance's edits relayed.
    assert len(sock_b.frames) > 2 and len(sock_a.frames) > 2
    await conn_a.stop()
    await conn_b.stop()


async def test_presence_across_instances_heals_after_a_lost_goodbye(
    two_hubs: tuple[Hub, Hub, MemoryBroker], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two, broker = two_hubs
    sock_a, sock_b = FakeSocket(), FakeSocket()
    conn_a = AsgiConnection(sock_a, LEAD, "owner", outbox_max=1000)
    conn_b = AsgiConnection(sock_b, LEAD, "owner", outbox_max=1000)
    conn_a.start()
    conn_b.start()
    events_a, _peer_a = await one.join_events("r1", conn_a)
    events_b, peer_b = await two.join_events("r1", conn_b)
    await _eventually(lambda: conn_b.peer_id in events_a.remote_peers)
    await _eventually(lambda: conn_a.peer_id in events_b.remote_peers)

    async with broker.outage():  # B's goodbye is lost
        two.leave_events(events_b, peer_b)
        await asyncio.sleep(0.05)
    assert conn_b.peer_id in events_a.remote_peers
    # B has no one left in the room, so it no longer announces anyone there: after
    # PRESENCE_TIMEOUT without a word from B, A forgets B's peer and tells its sockets.
    monkeypatch.setattr("codepair.hub.events.PRESENCE_TIMEOUT", 0.0)
    await asyncio.sleep(0.01)
    events_a.expire_remote()
    assert conn_b.peer_id not in events_a.remote_peers
    left = {"type": "peer.left", "peer_id": conn_b.peer_id}
    await _eventually(lambda: left in sock_a.texts)
    await conn_a.stop()
    await conn_b.stop()
