"""Yjs sync through the hub with the real npm y-websocket client (Node, disableBc: true)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest
import websockets
from pycrdt import Doc, Text, create_update_message
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.hub.craft import nested_any, one_item, squashing_run, var_string, var_uint
from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, client, create_room, create_user, join
from tests.support.server import Server
from tests.support.ylog import audit_updates


async def _converged(node: NodeClients, names: list[str], timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        texts = [await node.text(n) for n in names]
        if len(set(texts)) == 1 or time.monotonic() > deadline:
            return texts
        await asyncio.sleep(0.05)


async def test_two_clients_converge_and_code_doc_carries_language(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    a = await node.connect("a", server.ws_url, room["id"], "code", lead.token)
    b = await node.connect("b", server.ws_url, room["id"], "code", cand.token)
    assert a["synced"] and b["synced"]
    assert (await node.call("meta", client="b"))["meta"] == {"language": "python"}
    # Concurrent edits from both sides, interleaved.
    await asyncio.gather(
        node.call("type", client="a", text="def f():\n", delay=2),
        node.call("type", client="b", text="    return 42\n", delay=2),
    )
    texts = await _converged(node, ["a", "b"])
    assert texts[0] == texts[1]
    assert sorted(texts[0]) == sorted("def f():\n    return 42\n")


async def test_ten_clients_converge_and_late_joiner_gets_everything(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    names = [f"c{i}" for i in range(10)]
    # All ten open the brand-new room at the same instant: every one must sync.
    results = await asyncio.gather(
        *(node.connect(n, server.ws_url, room["id"], "code", lead.token) for n in names)
    )
    assert all(r["synced"] for r in results)
    await asyncio.gather(*(node.call("type", client=n, text=f"<{n}>", delay=1) for n in names))
    texts = await _converged(node, names)
    assert len(set(texts)) == 1, texts
    # Keystrokes at the end from ten writers interleave; none may be lost or doubled.
    assert sorted(texts[0]) == sorted("".join(f"<{n}>" for n in names))
    assert (await node.call("meta", client="c3"))["meta"] == {"language": "python"}

    late = await node.connect("late", server.ws_url, room["id"], "code", lead.token)
    assert late["synced"]
    assert await node.text("late") == texts[0]


async def test_cursor_visible_on_join_and_gone_after_kill(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    watcher = await NodeClients.start()
    typist = await NodeClients.start()
    try:
        await typist.connect(
            "t", server.ws_url, room["id"], "code", lead.token, user={"name": "Tess"}
        )
        await typist.call("setCursor", client="t", cursor={"anchor": 3})
        await asyncio.sleep(0.2)
        # The watcher joins after the cursor was set: it must see it at once.
        await watcher.connect("w", server.ws_url, room["id"], "code", lead.token)
        deadline = time.monotonic() + 2
        states: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            states = (await watcher.call("awareness", client="w"))["states"]
            if states:
                break
            await asyncio.sleep(0.02)
        assert [s["state"] for s in states] == [{"user": {"name": "Tess"}, "cursor": {"anchor": 3}}]

        typist.kill()  # no close handshake, no awareness goodbye from the client
        killed_at = time.monotonic()
        while (await watcher.call("awareness", client="w"))["states"]:
            assert time.monotonic() - killed_at < 1.0, "ghost cursor"
            await asyncio.sleep(0.02)
    finally:
        await typist.close()
        await watcher.close()


async def test_candidate_cannot_open_notes_and_interviewer_can(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    refused = await node.connect(
        "cand", server.ws_url, room["id"], "notes", cand.token, waitMs=1500
    )
    assert not refused["synced"]
    assert node.closes("cand"), "the handshake must be refused"
    await node.call("disconnect", client="cand")
    ok = await node.connect("lead", server.ws_url, room["id"], "notes", lead.token)
    assert ok["synced"]
    # The candidate's own doc is fine.
    assert (await node.connect("cand2", server.ws_url, room["id"], "code", cand.token))["synced"]


async def test_token_for_room_a_cannot_open_room_b(
    node: NodeClients, server: Server, lead: Actor
) -> None:
    room_a = create_room(server, lead)
    room_b = create_room(server, lead)
    cand_a = join(server, room_a)
    other = create_user(server, lead, "interviewer")  # not on room B
    refused = await node.connect(
        "x", server.ws_url, room_b["id"], "code", cand_a.token, waitMs=1500
    )
    assert not refused["synced"] and node.closes("x")
    for token, status in ((cand_a.token, 403), (other.token, 403), ("garbage", 401), ("", 401)):
        url = f"{server.ws_url}/ws/rooms/{room_b['id']}/yjs/code?token={token}"
        with pytest.raises(InvalidStatus) as err:
            async with websockets.connect(url):
                pass
        assert err.value.response.status_code == status
    with pytest.raises(InvalidStatus) as err:
        async with websockets.connect(
            f"{server.ws_url}/ws/rooms/{room_a['id']}/events?token={cand_a.token}",
            origin=websockets.Origin("https://evil.example"),
        ):
            pass
    assert err.value.response.status_code == 403


def _step2(update: bytes) -> bytes:
    """A SYNC_STEP2 frame carrying ``update`` (what a client answers the server's step 1)."""
    return b"\x00\x01" + create_update_message(update)[2:]


async def test_edits_resent_in_a_step_2_are_logged_once(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    """After an instance dies its clients reconnect together, and each one's step 2 carries
    edits that the others' carried too (docs/scaling.md): the log keeps each edit once."""
    cand = join(server, room)
    source: Doc[Any] = Doc(client_id=424242)
    text = source.get("code", type=Text)
    text += "hello"
    first = source.get_update()
    text += " world"
    del text[0:1]  # and a deletion, which a state vector cannot trim: applying it again is void
    everything = source.get_update()
    url = f"{server.ws_url}/ws/rooms/{room['id']}/yjs/code?token="
    async with websockets.connect(url + lead.token) as a, websockets.connect(url + cand.token) as b:
        await a.send(_step2(first))
        await asyncio.sleep(0.1)
        await b.send(_step2(everything))  # "hello" again, and " world"
        await asyncio.sleep(0.1)
        await a.send(_step2(everything))  # all of it again
        await asyncio.sleep(0.3)  # past the 50 ms group commit
    with client(server) as c:
        page = c.get(
            f"/api/rooms/{room['id']}/history/code/updates", headers=lead.headers
        ).json()
    audit = await audit_updates({"snapshot": None, "updates": [u[3] for u in page["updates"]]})
    assert audit["text"] == "ello world"
    assert audit["overlaps"] == [], audit["overlaps"]
    assert audit["items"][str(source.client_id)] == len("hello world")


def _rss_kib(server: Server) -> int:
    assert server.proc is not None
    with open(f"/proc/{server.proc.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


@pytest.mark.parametrize(
    ("label", "update"),
    [
        # Yrs decodes nested values recursively: 30,000 levels overflowed its stack (SIGSEGV).
        ("nested 30,000 deep", nested_any(30_000)),
        # 40,000 appends merged into one update: Yrs squashed the run with 891 MB.
        ("a run that squashes", squashing_run(40_000)),
        # Yrs reads one string more than Yjs writes: relayed, Yjs clients would misread it.
        ("legacy JSON content", one_item(2, var_uint(0) + var_string("1" * 200))),
        ("a sub-document", one_item(9, var_string("g" * 200) + bytes([126]))),
        ("trailing bytes", one_item(4, var_string("x" * 200)) + b"\x00"),
    ],
)
async def test_updates_that_would_hurt_yrs_close_only_their_socket(
    server: Server, lead: Actor, room: dict[str, Any], label: str, update: bytes
) -> None:
    url = f"{server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
    async with websockets.connect(url, max_size=None) as other:
        await other.recv()  # the server's step 1
        before = _rss_kib(server)
        async with websockets.connect(url, max_size=None) as ws:
            await ws.recv()
            await ws.send(create_update_message(update))
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(10):
                    while True:
                        await ws.recv()
            assert ws.close_code == 1002, label
        assert _rss_kib(server) - before < 64 * 1024, label  # no spike, and alive
        # The room goes on: an edit still reaches the other socket, and nothing else did.
        edit: Doc[Any] = Doc()
        edit.get("code", type=Text).insert(0, "still here")
        async with websockets.connect(url) as ws:
            await ws.recv()
            await ws.send(create_update_message(edit.get_update()))
            async with asyncio.timeout(5):
                while True:
                    frame = await other.recv()
                    if isinstance(frame, bytes) and frame[:2] == b"\x00\x02":
                        break
        seen: Doc[Any] = Doc()
        seen.apply_update(frame[3:] if frame[2] < 0x80 else b"")  # one-byte length prefix
        assert str(seen.get("code", type=Text)) == "still here"


def _awareness(entries: list[tuple[int, int, bytes]]) -> bytes:
    payload = var_uint(len(entries))
    for client_id, clock, state in entries:
        payload += var_uint(client_id) + var_uint(clock) + var_string(state)
    return b"\x01" + var_string(payload)


async def test_awareness_that_would_grow_without_bound_closes_its_socket(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    """Every client id an awareness message names stays in the document's awareness (its
    clock), even one that says it left: fresh ids in every frame grew the server's memory
    without bound. One message holds at most 256 states of 64 KiB at most, and a document
    knows at most 1,024 ids at once."""
    url = f"{server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"

    async def close_code(*frames: bytes) -> int | None:
        async with websockets.connect(url, max_size=None) as ws:
            await ws.recv()
            for frame in frames:
                await ws.send(frame)
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                async with asyncio.timeout(1):
                    while True:
                        await ws.recv()
            return ws.close_code

    assert await close_code(_awareness([(i, 1, b"null") for i in range(1, 258)])) == 1002
    assert await close_code(_awareness([(7, 1, b'{"x":"' + b"y" * 70_000 + b'"}')])) == 1002
    # Ids that only say they left, 250 fresh ones a frame: the fifth passes 1,024.
    frames = [_awareness([(n * 1000 + i, 1, b"null") for i in range(250)]) for n in range(1, 6)]
    assert await close_code(*frames[:4]) is None
    assert await close_code(frames[4]) == 1002
    # A real client's cursor still goes through (its id is not new to the room, or there is
    # room for it once the ids nobody renews are forgotten).
    node = await NodeClients.start()
    try:
        await node.connect("a", server.ws_url, room["id"], "code", lead.token, user={"n": 1})
        await node.connect("b", server.ws_url, room["id"], "code", lead.token, user={"n": 2})
        await node.call("insert", client="a", text="ok")
        assert (await node.call("waitText", client="b", text="ok"))["ok"]
    finally:
        await node.close()
