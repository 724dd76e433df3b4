"""Keystroke latency between two Yjs clients of one room, for the benchmarks that measure
what other work (answers streaming, language servers, shells) costs the typing rooms."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import websockets
from pycrdt import Doc, Text, create_sync_message, create_update_message

from tests.support.server import Server


class Typist:
    """Two Yjs clients of one room's code: one types, the other times each keystroke."""

    def __init__(self, srv: Server, room_id: str, token: str) -> None:
        self.url = f"{srv.ws_url}/ws/rooms/{room_id}/yjs/code?token={token}"
        self.doc: Doc[Any] = Doc()

    async def __aenter__(self) -> Typist:
        self.writer = await websockets.connect(self.url, max_size=None)
        self.reader = await websockets.connect(self.url, max_size=None)
        for ws in (self.writer, self.reader):
            await ws.send(create_sync_message(Doc()))
        await asyncio.sleep(0.5)
        for ws in (self.writer, self.reader):  # drain the handshake
            while True:
                try:
                    await asyncio.wait_for(ws.recv(), 0.2)
                except TimeoutError:
                    break
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.writer.close()
        await self.reader.close()

    async def keystrokes(self, n: int, pause: float = 0.02) -> list[float]:
        text = self.doc.get("code", type=Text)
        out = []
        for i in range(n):
            before = self.doc.get_state()
            text.insert(len(text), "x" if i % 40 else "\n")
            frame = create_update_message(self.doc.get_update(before))
            started = time.perf_counter()
            await self.writer.send(frame)
            while True:
                got = await asyncio.wait_for(self.reader.recv(), 10)
                if isinstance(got, bytes) and got[:2] == b"\x00\x02":
                    break
            out.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(pause)
        return out
