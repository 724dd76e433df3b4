"""The Yjs socket's own WebSocket protocol (codepair/hub/wire.py), spoken byte by byte.

The y-websocket tests show that real clients work; these show that the framing is RFC 6455's
where clients are unusual or hostile: pings, fragments, bad headers, early floods, a client
that never answers, and upgrades of other paths, which go to the ASGI app as before.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from pycrdt import (
    Doc,
    Text,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
)

from codepair.hub.wsframes import FrameError, FrameReader, _py_apply_mask, apply_mask
from codepair.hub.yframes import sync_payload
from tests.hub.nodeclients import two_editors
from tests.support.api import Actor, bootstrap_lead, create_room
from tests.support.server import Server

KEY = base64.b64encode(b"0123456789abcdef").decode()


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True,
          rsv: int = 0) -> bytes:
    """A client frame as a browser sends it (masked), or broken on purpose."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + _py_apply_mask(payload, key)


class Raw:
    """A WebSocket client with nothing between the test and the bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def handshake(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        lines = [
            f"GET {path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {KEY}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        status = int(head.split(b" ", 2)[1])
        return status, head

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def read(self, timeout: float = 10) -> tuple[int, bytes]:
        async with asyncio.timeout(timeout):
            b0, b1 = await self.reader.readexactly(2)
            assert not b1 & 0x80, "servers never mask"
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            return b0 & 0x0F, await self.reader.readexactly(n)

    async def read_until(self, opcode: int, timeout: float = 10) -> bytes:
        while True:
            op, payload = await self.read(timeout)
            if op == opcode:
                return payload

    async def close_code(self, timeout: float = 10) -> int:
        payload = await self.read_until(0x8, timeout)
        return int.from_bytes(payload[:2], "big")

    async def at_eof(self, timeout: float = 10) -> bool:
        async with asyncio.timeout(timeout):
            while await self.reader.read(65536):
                pass
        return True


@asynccontextmanager
async def raw(server: Server) -> AsyncIterator[Raw]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        yield Raw(reader, writer)
    finally:
        writer.close()


def yjs_path(room: dict[str, Any], token: str, doc: str = "code") -> str:
    return f"/ws/rooms/{room['id']}/yjs/{doc}?token={token}"


def keystroke(text: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("code", type=Text).insert(0, text)
    return create_update_message(doc.get_update())


# --- pure framing -----------------------------------------------------------------------


def test_reader_joins_fragments_and_refuses_what_rfc6455_forbids() -> None:
    reader = FrameReader(max_message=100)
    data = frame(0x2, b"ab", fin=False) + frame(0x9, b"p") + frame(0x0, b"cd")
    items = []
    for byte in data:  # one byte at a time: every partial header and payload is waited for
        reader.feed(bytes([byte]))
        item = reader.read()
        if item is not None:
            items.append(item)
    # The ping between the fragments comes out first, then the message whole.
    assert items == [(0x9, b"p"), (0x2, b"abcd")]
    assert reader.read() is None
    reader.feed(frame(0x2, b"ab", fin=False) + frame(0x0, b"cd"))
    assert reader.read() == (0x2, b"abcd")

    cases: list[tuple[bytes, int]] = [
        (frame(0x2, b"x", mask=False), 1002),
        (frame(0x2, b"x", rsv=0x40), 1002),
        (frame(0x3, b"x"), 1002),
        (frame(0xB, b"x"), 1002),
        (frame(0x0, b"x"), 1002),
        (frame(0x9, b"x", fin=False), 1002),
        (frame(0x9, b"x" * 126), 1002),
        (frame(0x2, b"x", fin=False) + frame(0x2, b"y"), 1002),
        # Refused from the header alone: the payload never has to arrive.
        (frame(0x2, b"x" * 101)[:4], 1009),
        (frame(0x2, b"x" * 60, fin=False) + frame(0x0, b"y" * 60)[:2], 1009),
    ]
    for data, code in cases:
        reader = FrameReader(max_message=100)
        reader.feed(data)
        with pytest.raises(FrameError) as err:
            while reader.read() is not None:
                pass
        assert err.value.code == code, data


def test_mask_matches_the_pure_python_one() -> None:
    for n in (0, 1, 3, 4, 5, 127, 4096):
        data, key = os.urandom(n), os.urandom(4)
        assert apply_mask(data, key) == _py_apply_mask(data, key)
        assert _py_apply_mask(_py_apply_mask(data, key), key) == data


# --- over a socket ----------------------------------------------------------------------


async def test_handshake_refusals_are_http_answers(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    async with raw(server) as ws:
        status, head = await ws.handshake(yjs_path(room, "not-a-token"))
        assert status == 401
        assert b'{"detail":' in await ws.reader.read(1000)
    async with raw(server) as ws:
        status, _ = await ws.handshake(yjs_path(room, lead.token, "secrets"))
        assert status == 404
    async with raw(server) as ws:
        status, _ = await ws.handshake(yjs_path(room, lead.token), {"Origin": "http://evil.test"})
        assert status == 403
    async with raw(server) as ws:
        ws.writer.write(
            f"GET {yjs_path(room, lead.token)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
            "Sec-WebSocket-Version: 8\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(ws.reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 426") and b"sec-websocket-version: 13" in head
    async with raw(server) as ws:
        ws.writer.write(
            f"GET {yjs_path(room, lead.token)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(ws.reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 400")


async def test_ping_fragments_and_close_handshake(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    async with raw(server) as ws:
        status, head = await ws.handshake(yjs_path(room, lead.token))
        assert status == 101
        guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        accept = base64.b64encode(hashlib.sha1((KEY + guid).encode()).digest())
        assert b"sec-websocket-accept: " + accept in head
        op, step1 = await ws.read()
        assert op == 0x2 and step1[:2] == b"\x00\x00"
        ws.send(frame(0x9, b"are you there"))
        assert await ws.read_until(0xA) == b"are you there"
        # One update in three fragments with a ping between them: applied as one message.
        update = keystroke("fragmented")
        third = len(update) // 3
        ws.send(
            frame(0x2, update[:third], fin=False)
            + frame(0x9, b"mid")
            + frame(0x0, update[third : 2 * third], fin=False)
            + frame(0x0, update[2 * third :])
        )
        assert await ws.read_until(0xA) == b"mid"
        async with websockets.connect(f"{server.ws_url}{yjs_path(room, lead.token)}") as other:
            await other.send(create_sync_message(Doc()))  # STEP1: the server answers STEP2
            await wait_for_text(other, "fragmented")
        ws.send(frame(0x8, (1000).to_bytes(2, "big") + b"bye"))
        assert await ws.close_code() == 1000  # echoed
        assert await ws.at_eof()  # and the server ends the TCP connection


async def wait_for_text(ws: websockets.ClientConnection, text: str) -> None:
    """Apply the server's STEP2 and updates until the code document holds ``text``."""
    doc: Doc[Any] = Doc()
    async with asyncio.timeout(10):
        while text not in str(doc.get("code", type=Text)):
            message = await ws.recv()
            assert isinstance(message, bytes)
            if message[0] == YMessageType.SYNC:
                sub, payload = sync_payload(message)
                if sub != YSyncMessageType.SYNC_STEP1:
                    doc.apply_update(payload)


@pytest.mark.parametrize(
    ("label", "data", "code"),
    [
        ("unmasked", frame(0x2, b"\x00\x00\x00", mask=False), 1002),
        ("reserved bits", frame(0x2, b"\x00\x00\x00", rsv=0x40), 1002),
        ("unknown opcode", frame(0x5, b""), 1002),
        ("stray continuation", frame(0x0, b"x"), 1002),
        ("long ping", frame(0x9, b"x" * 200), 1002),
        ("text", frame(0x1, b"hello"), 1003),
        ("3 MiB header", frame(0x2, b"\x00" * (3 << 20))[:14], 1009),
    ],
)
async def test_broken_frames_close_only_their_socket(
    server: Server, lead: Actor, room: dict[str, Any], label: str, data: bytes, code: int
) -> None:
    async with websockets.connect(f"{server.ws_url}{yjs_path(room, lead.token)}") as other:
        await other.recv()
        async with raw(server) as ws:
            assert (await ws.handshake(yjs_path(room, lead.token)))[0] == 101
            ws.send(data)
            assert await ws.close_code() == code, label
            # We answer its close; the server then ends the connection at once.
            ws.send(frame(0x8, code.to_bytes(2, "big")))
            started = time.monotonic()
            assert await ws.at_eof(5)
            assert time.monotonic() - started < 2
        await other.send(keystroke("still fine"))
        await other.ping()


async def test_a_flood_before_sync_is_cut_off(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    async with raw(server) as ws:
        assert (await ws.handshake(yjs_path(room, lead.token)))[0] == 101
        # Frames sent before the room has loaded wait, up to a cap; then the rate cap rules.
        ws.send(b"".join(frame(0x2, b"\x00\x00\x01\x00") for _ in range(2000)))
        assert await ws.close_code() in (1013, 4430)


async def test_a_client_that_stops_answering_is_closed(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_WS_PING_AFTER_SECONDS": "1",
                          "CODEPAIR_WS_DEAD_AFTER_SECONDS": "3"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    async with websockets.connect(f"{srv.ws_url}{yjs_path(room, lead.token)}") as alive:
        async with raw(srv) as silent:
            assert (await silent.handshake(yjs_path(room, lead.token)))[0] == 101
            started = time.monotonic()
            # It is pinged, answers nothing, and is closed: 1001, within the dead time.
            await silent.read_until(0x9, timeout=5)
            assert await silent.close_code(timeout=8) == 1001
            assert time.monotonic() - started < 8
        # The websockets client answers pings by itself: still open, still served.
        await asyncio.sleep(1)
        await alive.send(create_sync_message(Doc()))
        async with asyncio.timeout(5):
            while (await alive.recv())[:2] != b"\x00\x01":
                pass


async def test_other_upgrades_go_to_the_asgi_app(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    async with websockets.connect(
        f"{server.ws_url}/ws/rooms/{room['id']}/events?token={lead.token}"
    ) as events:
        welcome = await events.recv()
        assert '"welcome"' in str(welcome)
    async with raw(server) as ws:
        status, _ = await ws.handshake("/ws/nowhere")
        assert status == 403  # Starlette's answer to a socket with no route


async def test_the_asgi_route_serves_the_same_clients(
    server_factory: Callable[..., Server],
) -> None:
    """Under granian the Yjs socket is the ASGI route: same clients, same refusals."""
    srv = server_factory(server_kind="granian")
    async with two_editors(srv) as (_lead, room, node):
        await node.call("type", client="a", text="over asgi")
        assert (await node.call("waitText", client="b", text="over asgi"))["ok"]
    with pytest.raises(websockets.InvalidStatus) as err:
        async with websockets.connect(f"{srv.ws_url}{yjs_path(room, 'bad')}"):
            pass
    assert err.value.response.status_code == 401


async def test_a_graceful_stop_closes_with_1001_and_keeps_the_text(
    server_factory: Callable[..., Server],
) -> None:
    """SIGTERM: every Yjs socket gets 1001 at once, even one that never answers, the server
    exits promptly, and what was typed is in the log for the restart."""
    srv = server_factory()
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    async with raw(srv) as silent:  # reads, but will not answer our close
        assert (await silent.handshake(yjs_path(room, lead.token)))[0] == 101
        async with websockets.connect(f"{srv.ws_url}{yjs_path(room, lead.token)}") as ws:
            await ws.recv()
            await ws.send(keystroke("kept"))
            await ws.ping()
            started = time.monotonic()
            stopping = asyncio.get_running_loop().run_in_executor(None, srv.stop)
            assert await silent.close_code() == 1001
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
            assert ws.close_code == 1001
            await stopping
            assert time.monotonic() - started < 4  # the silent one is cut off after 1 s
    srv.start()
    async with websockets.connect(f"{srv.ws_url}{yjs_path(room, lead.token)}") as ws:
        await ws.send(create_sync_message(Doc()))
        await wait_for_text(ws, "kept")
