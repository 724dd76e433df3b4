"""Across hub instances (a memory bus): a message for interviewers only never reaches a
candidate on another instance, and the server's starter update reaches a room loaded there."""

from __future__ import annotations

from typing import Any

from pycrdt import Text

from codepair.bus import MemoryBroker
from codepair.hub import Hub
from codepair.hub.connection import AsgiConnection
from codepair.security.tokens import Principal
from tests.hub.test_hub_bridge import LEAD, FakeSocket, _eventually, two_hubs

CANDIDATE = Principal(kind="candidate", role="candidate", name="Cody", room_id="r1",
                      invite_id=1, candidate_id="c1")
__all__ = ["two_hubs"]  # the fixture, reused


async def test_interviewers_only_across_instances(
    two_hubs: tuple[Hub, Hub, MemoryBroker],
) -> None:
    one, two, _broker = two_hubs
    socks = {name: FakeSocket() for name in ("lead_b", "cand_b", "cand_a")}
    conns = {
        "lead_b": AsgiConnection(socks["lead_b"], LEAD, "owner", outbox_max=1000),
        "cand_b": AsgiConnection(socks["cand_b"], CANDIDATE, "candidate", outbox_max=1000),
        "cand_a": AsgiConnection(socks["cand_a"], CANDIDATE, "candidate", outbox_max=1000),
    }
    for conn in conns.values():
        conn.start()
    await two.join_events("r1", conns["lead_b"])
    await two.join_events("r1", conns["cand_b"])
    await one.join_events("r1", conns["cand_a"])
    await one.broadcast("r1", {"type": "run.tests", "secret": "S"}, interviewers_only=True)
    await one.broadcast("r1", {"type": "run.finished", "public": True})

    def types(sock: FakeSocket) -> list[str]:
        return [m["type"] for m in sock.texts]

    await _eventually(lambda: "run.finished" in types(socks["lead_b"]))
    await _eventually(lambda: "run.finished" in types(socks["cand_b"]))
    await _eventually(lambda: "run.finished" in types(socks["cand_a"]))
    assert {"type": "run.tests", "secret": "S"} in socks["lead_b"].texts
    for name in ("cand_a", "cand_b"):
        seen = types(socks[name])
        assert "run.tests" not in seen and "interviewers_only" not in seen
    for conn in conns.values():
        await conn.stop()


async def test_starter_update_reaches_a_room_loaded_on_another_instance(
    two_hubs: tuple[Hub, Hub, MemoryBroker],
) -> None:
    one, two, _broker = two_hubs
    sock = FakeSocket()
    conn = AsgiConnection(sock, LEAD, "owner", outbox_max=1000)
    conn.start()
    room = await one.join_doc("r1", "code", conn)

    def code(doc: Any) -> str:
        return str(doc.get("code", type=Text))

    # Instance two has no socket on the room: it writes to the log and shares the update.
    await two.replace_text("r1", "code", "code", "def solve():\n    pass\n", author="user:1")
    await _eventually(lambda: code(room.doc) == "def solve():\n    pass\n")
    # Loaded here, it changes live and the socket gets the update.
    frames = len(sock.frames)
    await one.replace_text("r1", "code", "code", "# v2\n", author="user:1")
    assert code(room.doc) == "# v2\n"
    await _eventually(lambda: len(sock.frames) == frames + 1)
    await conn.stop()
