"""The events socket: presence, chat, WebRTC signaling between two aiortc peers, room end."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, create_user, join
from tests.support.events import events, negotiate_data_channel
from tests.support.server import Server


async def test_welcome_presence_and_chat(server: Server, lead: Actor, room: dict[str, Any]) -> None:
    cand = join(server, room, name="Cody")
    async with events(server, room["id"], lead.token) as a:
        welcome_a = await a.next("welcome")
        assert welcome_a["role"] == "lead" and welcome_a["peers"] == []
        assert (await a.next("chat.history"))["messages"] == []
        async with events(server, room["id"], cand.token) as b:
            welcome_b = await b.next("welcome")
            assert welcome_b["peers"] == [
                {"peer_id": welcome_a["peer_id"], "name": "Lena Lead", "role": "lead"}
            ]
            joined = await a.next("peer.joined")
            assert joined["peer"]["peer_id"] == welcome_b["peer_id"]
            assert joined["peer"]["role"] == "candidate"

            # Order, and the author comes from the token: "author" in the message is ignored
            # (and refused: unknown fields are an error).
            await b.send({"type": "chat.send", "text": "hi", "author": {"name": "Lena Lead"}})
            assert (await b.next("error"))["code"] == "invalid_message"
            for i in range(5):
                await (a if i % 2 else b).send({"type": "chat.send", "text": f"m{i}"})
            got_a = [(await a.next("chat.message"))["message"] for _ in range(5)]
            got_b = [(await b.next("chat.message"))["message"] for _ in range(5)]
            # Everyone sees one order; each sender's messages keep theirs.
            assert got_a == got_b
            texts = [m["text"] for m in got_a]
            assert [t for t in texts if t in ("m0", "m2", "m4")] == ["m0", "m2", "m4"]
            assert [t for t in texts if t in ("m1", "m3")] == ["m1", "m3"]
            assert {m["author"]["name"] for m in got_a} == {"Cody", "Lena Lead"}
            assert all(
                m["author"]["role"] == ("candidate" if m["author"]["name"] == "Cody" else "lead")
                for m in got_a
            )
        assert (await a.next("peer.left"))["peer_id"] == welcome_b["peer_id"]

    # History: on join, and over REST for anyone in the room (and nobody else).
    async with events(server, room["id"], cand.token) as c:
        await c.next("welcome")
        history = (await c.next("chat.history"))["messages"]
        assert [m["text"] for m in history] == texts
    with httpx.Client(base_url=server.url) as http:
        r = http.get(f"/api/rooms/{room['id']}/messages", headers=cand.headers)
        assert r.status_code == 200
        assert r.json()["items"] == history
        stranger = create_user(server, lead, "interviewer")
        r = http.get(f"/api/rooms/{room['id']}/messages", headers=stranger.headers)
        assert r.status_code == 404


async def test_chat_caps_and_bad_messages(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    async with events(server, room["id"], lead.token) as a:
        await a.next("welcome")
        await a.send({"type": "chat.send", "text": "x" * 4001})
        assert (await a.next("error"))["code"] == "too_large"
        for raw in ("{not json", "[1, 2]", json.dumps({"type": "nope"}), json.dumps({"x": 1})):
            await a.ws.send(raw)
        codes = [(await a.next("error"))["code"] for _ in range(4)]
        assert codes == ["invalid_json", "unknown_type", "unknown_type", "unknown_type"]
        await a.send({"type": "signal", "to": "nobody", "data": {"sdp": "x"}})
        assert (await a.next("error"))["code"] == "unknown_peer"
        # Flood: 20 messages in 10 s per socket, then errors; the socket stays open.
        for i in range(25):
            await a.send({"type": "chat.send", "text": f"flood {i}"})
        errors = 0
        stored = 0
        for _ in range(25):
            message = await a.inbox.get()
            if message["type"] == "error":
                assert message["code"] == "rate_limited"
                errors += 1
            elif message["type"] == "chat.message":
                stored += 1
        assert (stored, errors) == (20, 5)
        await a.send({"type": "signal", "to": "nobody", "data": {}})
        assert (await a.next("error"))["code"] == "unknown_peer"  # still served
        # A huge frame closes this socket with 1009; the room goes on.
        await a.ws.send("x" * (70 * 1024))
        code, reason = await asyncio.wait_for(a.closed, 5)
        assert code == 1009, (code, reason)
    async with events(server, room["id"], lead.token) as b:
        assert (await b.next("welcome"))["type"] == "welcome"


async def test_two_aiortc_peers_connect_through_signaling(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    async with (
        events(server, room["id"], lead.token) as a,
        events(server, room["id"], cand.token) as b,
    ):
        peer_a = (await a.next("welcome"))["peer_id"]
        peer_b = (await b.next("welcome"))["peer_id"]
        await negotiate_data_channel(a, b, peer_a, peer_b)


async def test_room_end_closes_candidate_sockets_within_a_second(
    server: Server, lead: Actor, room: dict[str, Any], node: NodeClients
) -> None:
    cand = join(server, room)
    await node.connect("cand", server.ws_url, room["id"], "code", cand.token)
    await node.connect("lead", server.ws_url, room["id"], "code", lead.token)
    async with (
        events(server, room["id"], lead.token) as a,
        events(server, room["id"], cand.token) as b,
    ):
        await a.next("welcome")
        await b.next("welcome")
        with httpx.Client(base_url=server.url) as http:
            ended_at = time.monotonic()
            r = http.post(f"/api/rooms/{room['id']}/end", headers=lead.headers)
            assert r.status_code == 200, r.text
        await b.next("room.ended", timeout=1)
        await a.next("room.ended", timeout=1)
        code, _ = await asyncio.wait_for(b.closed, 1)
        assert code == 4410
        while not node.closes("cand"):
            assert time.monotonic() - ended_at < 1.0
            await asyncio.sleep(0.02)
        assert node.closes("cand")[0]["code"] == 4410
        assert time.monotonic() - ended_at < 1.0
        # Interviewers keep their sockets (the room is now a record).
        assert not a.closed.done()
        assert not node.closes("lead")
    # And the invite link is refused from now on, before the handshake.
    status = (await node.call("status", client="cand"))["closes"]
    assert status and all(c["code"] in (4410, 1006) for c in status)


async def test_every_bad_message_gets_an_error_and_the_socket_stays(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    """Messages that used to drop the socket without a close frame: JSON nested too deep to
    read (a RecursionError), a ``type`` that cannot be looked up, data too deep to relay."""
    deep = "[" * 10_000 + "]" * 10_000
    signal_deep = {"type": "signal", "to": "x", "data": {"a": [[[{}]]]}}
    for _ in range(300):
        signal_deep["data"] = {"a": signal_deep["data"]}
    cases = [
        (deep, "invalid_json"),
        ('{"type": ' + deep + "}", "invalid_json"),
        (json.dumps({"type": ["chat.send"]}), "unknown_type"),
        (json.dumps({"type": {"chat": "send"}}), "unknown_type"),
        (json.dumps({"type": 12}), "unknown_type"),
        (json.dumps("chat.send"), "unknown_type"),
        (json.dumps(None), "unknown_type"),
        ("1" * 5000, "invalid_json"),  # past Python's digits limit for an int
        ('{"type": "activity", "kind": "paste", "chars": 1e400}', "invalid_message"),
        ('{"type": "activity", "kind": "paste", "chars": NaN}', "invalid_message"),
        (json.dumps({"type": "chat.send", "text": {"not": "a string"}}), "invalid_message"),
        (json.dumps({"type": "signal", "to": "x", "data": "not an object"}), "invalid_message"),
        (json.dumps({"type": "signal", "to": ["x"], "data": {}}), "invalid_message"),
        (json.dumps(signal_deep), "invalid_message"),
        (json.dumps({"type": "chat.send", "text": "\ud800"}), "invalid_message"),
    ]
    async with events(server, room["id"], lead.token) as a:
        await a.next("welcome")
        for raw, code in cases:
            await a.ws.send(raw)
            got = await a.next("error")
            assert got["code"] == code, (raw[:60], got)
            assert isinstance(got["message"], str)
        # Still served: a chat message goes through.
        await a.send({"type": "chat.send", "text": "after all that"})
        assert (await a.next("chat.message"))["message"]["text"] == "after all that"
        assert not a.closed.done()
