"""Drive real npm ``y-websocket`` clients (tests/node/driver.mjs) from async tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.api import Actor, bootstrap_lead, create_room
from tests.support.server import Server

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
DRIVER = NODE_DIR / "driver.mjs"


def ensure_node_modules() -> None:
    """``npm ci`` once, when the test clients' packages are missing."""
    if (NODE_DIR / "node_modules" / "y-websocket").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True
    )


class NodeClients:
    """One Node process holding any number of named y-websocket clients."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls) -> NodeClients:
        ensure_node_modules()
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(DRIVER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=NODE_DIR,
            start_new_session=True,
            limit=16 * 1024 * 1024,
        )
        self = cls(proc)
        return self

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            msg = json.loads(line)
            if "id" in msg:
                fut = self._waiting.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            else:
                self.events.append(msg)
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(RuntimeError("node driver exited"))

    async def call(self, op: str, timeout: float = 30.0, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        ident = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = fut
        self.proc.stdin.write((json.dumps({"id": ident, "op": op, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        reply = await asyncio.wait_for(fut, timeout)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    async def connect(
        self, client: str, ws_base: str, room_id: str, doc: str, token: str, **kw: Any
    ) -> dict[str, Any]:
        return await self.call(
            "connect",
            client=client,
            url=f"{ws_base}/ws/rooms/{room_id}/yjs",
            doc=doc,
            token=token,
            **kw,
        )

    async def text(self, client: str) -> str:
        return str((await self.call("text", client=client))["text"])

    def closes(self, client: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "close" and e["client"] == client]

    def kill(self) -> None:
        """``kill -9``: the sockets die without a close handshake."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    async def close(self) -> None:
        self.kill()
        await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def two_editors(srv: Server) -> AsyncIterator[tuple[Actor, dict[str, Any], NodeClients]]:
    """A first lead on ``srv``, a new room, and clients ``a`` and ``b`` on its code document."""
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "code", lead.token)
        yield lead, room, node
    finally:
        await node.close()
