"""Bad input and caps: each gets an error or a close for its own socket; the room goes on."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from pycrdt import Doc, Text, create_update_message, write_var_uint
from websockets.exceptions import ConnectionClosed

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, bootstrap_lead, create_room, create_user
from tests.support.server import Server


async def _close_code(url: str, frame: bytes | str) -> int | None:
    """Open a socket, send one frame after the server's greeting, return the close code."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()
        try:
            # A frame over the cap is refused from its header: the close may come mid-send.
            await ws.send(frame)
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
        except ConnectionClosed:
            pass
        return ws.close_code


def _bad_frames() -> list[tuple[str, bytes | str, set[int]]]:
    rng = random.Random(20261125)
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    text += "a valid update"
    update = create_update_message(doc.get_update())
    frames: list[tuple[str, bytes | str, set[int]]] = [
        ("empty", b"", {1002}),
        ("unknown type", b"\x07\x00", {1002}),
        ("text frame", "hello", {1003}),
        ("truncated update", update[: len(update) // 2], {1002}),
        ("trailing bytes", update + b"\x00", {1002}),
        ("huge count", b"\x00\x02" + write_var_uint(5) + b"\xb3\xf3\x91\x7a\x4f", {1002}),
        ("bad awareness", b"\x01" + write_var_uint(6) + b"\x01\x01\x01\x02{x", {1002}),
        ("too big", b"\x00\x02" + b"\x00" * (2 * 1024 * 1024 + 10), {1009}),
    ]
    for i in range(12):
        frames.append((f"random {i}", rng.randbytes(rng.randint(1, 64)), {1002}))
        body = rng.randbytes(rng.randint(1, 40))
        # Random updates that pass the framing: Yrs itself must refuse them, or they apply.
        frames.append(
            (f"random update {i}", b"\x00\x02" + write_var_uint(len(body)) + body, {1002, None})
        )
    return frames


async def test_bad_yjs_frames_close_only_their_socket(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    await node.connect("a", server.ws_url, room["id"], "code", lead.token)
    await node.connect("b", server.ws_url, room["id"], "code", lead.token)
    url = f"{server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
    for i, (label, frame, expected) in enumerate(_bad_frames()):
        code = await _close_code(url, frame)
        assert code in expected, (label, code)
        if i % 8 == 0:  # the others keep syncing all along
            await node.call("insert", client="a", index=0, text=str(i))
    await node.call("type", client="b", text="still here")
    final = await node.text("b")
    assert "still here" in final
    assert (await node.call("waitText", client="a", text=final))["ok"]


async def test_yjs_rate_cap_and_room_full(server_factory: Callable[..., Server]) -> None:
    srv = server_factory(
        {
            "CODEPAIR_MAX_SOCKETS_PER_DOC": "2",
            "CODEPAIR_YJS_MESSAGES_PER_SECOND": "5",
            "CODEPAIR_YJS_MESSAGE_BURST": "20",
        }
    )
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "code", lead.token)
        url = f"{srv.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
        async with websockets.connect(url) as flood:
            await flood.recv()
            # The third socket on the document is turned away with a clear code.
            async with websockets.connect(url) as third:
                with contextlib.suppress(ConnectionClosed):
                    await asyncio.wait_for(third.recv(), 5)
                assert third.close_code == 4429
            empty_sv = b"\x00\x00\x01\x00"  # STEP1 with an empty state vector
            try:
                for _ in range(100):
                    await flood.send(empty_sv)
                async with asyncio.timeout(5):
                    while True:
                        await flood.recv()
            except ConnectionClosed:
                pass
            assert flood.close_code == 4430
        await node.call("type", client="a", text="alive")
        assert await node.text("a") == "alive"
    finally:
        await node.close()


async def test_deactivating_a_user_closes_their_sockets(
    node: NodeClients, server: Server, lead: Actor
) -> None:
    ivy = create_user(server, lead, "interviewer")
    room = create_room(server, ivy)
    await node.connect("ivy", server.ws_url, room["id"], "notes", ivy.token)
    with httpx.Client(base_url=server.url) as http:
        started = time.monotonic()
        r = http.patch(f"/api/users/{ivy.user_id}", headers=lead.headers, json={"is_active": False})
        assert r.status_code == 200, r.text
    while not node.closes("ivy"):
        assert time.monotonic() - started < 1.0
        await asyncio.sleep(0.02)
    assert node.closes("ivy")[0]["code"] == 4401


async def test_a_client_that_stops_reading_is_cut_off_not_the_room(
    server_factory: Callable[..., Server],
) -> None:
    # 12 MB of code in all: over the code's and a file's default size caps, not what this tests.
    srv = server_factory({
        "CODEPAIR_OUTBOX_MAX_MESSAGES": "20", "CODEPAIR_CODE_MAX_BYTES": str(64 * 2**20),
        "CODEPAIR_PROJECT_MAX_FILE_BYTES": str(64 * 2**20),
    })
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    url = f"{srv.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
    node = await NodeClients.start()
    try:
        await node.connect("writer", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("reader", srv.ws_url, room["id"], "code", lead.token)
        # A client that never reads: once the kernel's buffers and its outbox are full, the
        # hub drops it (1013) while the writer and the reader it does not slow down go on.
        async with websockets.connect(url, max_queue=1) as stalled:
            chunk = "x" * 100_000
            for i in range(120):
                await node.call("insert", client="writer", index=0, text=chunk)
                if i % 20 == 0:
                    await asyncio.sleep(0.05)
            total = 120 * len(chunk)
            assert (await node.call("waitLength", client="reader", length=total))["ok"]
            with contextlib.suppress(ConnectionClosed):
                async with asyncio.timeout(10):
                    while True:
                        await stalled.recv()
            assert stalled.close_code == 1013
    finally:
        await node.close()
