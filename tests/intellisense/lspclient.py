"""A Language Server Protocol client over the room's socket, for tests and the bench."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

WS = "file:///workspace/"


class LspSocket:
    """One ``/lsp/{language}`` socket: requests with ids, notifications kept in order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int | str, asyncio.Future[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if "method" in message:
                    self.notifications.append(message)
                    self._changed.set()
                elif message.get("id") in self._waiting:
                    self._waiting.pop(message["id"]).set_result(message)
                else:
                    self.notifications.append(message)  # an answer nobody waits for
                    self._changed.set()
        except ConnectionClosed:
            pass
        self.closed.set_result((self.ws.close_code, self.ws.close_reason or ""))

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def call(self, method: str, params: Any = None, timeout: float = 60.0) -> dict[str, Any]:
        """The whole answer (``result`` or ``error``) to one request."""
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        await self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout)

    async def initialize(self) -> dict[str, Any]:
        answer = await self.call("initialize", {"processId": None, "capabilities": {}})
        await self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return answer

    async def completion(self, path: str, line: int, character: int) -> dict[str, Any]:
        return await self.call("textDocument/completion", {
            "textDocument": {"uri": WS + path}, "position": {"line": line, "character": character}})

    async def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 60.0
    ) -> dict[str, Any]:
        """The first notification (from the start) that ``match`` accepts."""
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                for message in self.notifications[seen:]:
                    if match(message):
                        return message
                seen = len(self.notifications)
                self._changed.clear()
                await self._changed.wait()

    async def diagnostics(
        self, path: str, match: Callable[[list[dict[str, Any]]], bool], timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        """The latest diagnostics of ``path`` once ``match`` holds for them."""
        async with asyncio.timeout(timeout):
            while True:
                latest = [n for n in self.notifications
                          if n.get("method") == "textDocument/publishDiagnostics"
                          and n["params"]["uri"] == WS + path]
                if latest and match(latest[-1]["params"]["diagnostics"]):
                    return list(latest[-1]["params"]["diagnostics"])
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def lsp(ws_url: str, room_id: str, language: str, token: str,
              query: str = "") -> AsyncIterator[LspSocket]:
    url = f"{ws_url}/ws/rooms/{room_id}/lsp/{language}?token={token}{query}"
    async with websockets.connect(url, max_size=None) as ws:
        yield LspSocket(ws)


def labels(answer: dict[str, Any]) -> list[str]:
    result = answer.get("result")
    items = result.get("items", []) if isinstance(result, dict) else (result or [])
    return [item["label"] if isinstance(item["label"], str) else item["label"]["label"]
            for item in items]


def server_processes(server_pid: int, name: str) -> list[int]:
    """Pids of the processes under ``server_pid`` whose command line holds ``name``."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh2:
                commands[int(entry)] = fh2.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == server_pid:
                return True
            pid = parents.get(pid, 0)
        return False

    return [p for p, cmd in commands.items()
            if name in cmd and "bwrap" not in cmd and "prlimit" not in cmd and under(p)]


def kill(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
