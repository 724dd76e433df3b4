"""A terminal socket client for tests: the real WebSocket, binary keystrokes in, output out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server


class TermClient:
    """One socket on a room's terminal: what it received, and ways to wait for it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.output = bytearray()
        self.messages: list[dict[str, Any]] = []
        self.closed: tuple[int | None, str] | None = None
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, srv: Server, room_id: str, token: str, **kw: Any) -> TermClient:
        url = f"{srv.ws_url}/ws/rooms/{room_id}/terminal?token={token}"
        ws = await connect(url, max_size=None, **kw)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if isinstance(frame, bytes):
                    self.output += frame
                else:
                    self.messages.append(json.loads(frame))
                self._changed.set()
        except ConnectionClosed:
            pass
        self.closed = (self.ws.close_code, self.ws.close_reason or "")
        self._changed.set()

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    async def type(self, text: str | bytes) -> None:
        await self.ws.send(text.encode() if isinstance(text, str) else text)

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def wait(self, check: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out; output tail: {self.text[-600:]!r}; messages: {self.messages[-5:]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    async def wait_output(self, pattern: str, *, start: int = 0, timeout: float = 10.0) -> None:
        regex = re.compile(pattern)
        await self.wait(lambda: regex.search(self.output[start:].decode("utf-8", "replace")),
                        timeout)

    async def wait_status(
        self, state: str, timeout: float = 10.0, *, since: int = 0
    ) -> dict[str, Any]:
        """Wait for a status with ``state`` among the messages from index ``since`` on."""

        def found() -> list[dict[str, Any]]:
            return [m for m in self.messages[since:]
                    if m.get("type") == "status" and m.get("state") == state]

        await self.wait(lambda: bool(found()), timeout)
        return found()[-1]

    async def run(self, command: str, marker: str, timeout: float = 15.0) -> str:
        """Type ``command``, then wait until ``marker`` is printed after it; the output since."""
        start = len(self.output)
        await self.type(command + "\r")
        await self.wait_output(marker, start=start, timeout=timeout)
        return self.output[start:].decode("utf-8", "replace")

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def prompt(client: TermClient, timeout: float = 10.0) -> None:
    await client.wait_output(r"\$ ", timeout=timeout)
