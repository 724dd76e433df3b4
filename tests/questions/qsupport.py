"""Helpers for the question tests: a question whose secrets are sentinel strings, and a
small Yjs client for the room's code document."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import websockets
from pycrdt import (
    Doc,
    Text,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from tests.support.api import Actor, client
from tests.support.server import Server

# Strings that must never reach a candidate: each secret part of a question carries one.
# The hidden test's expected output is its input upper-cased (what the question asks for).
SECRET_STDIN = "sentinel-hidden-stdin-7031"
SECRET_EXPECTED = SECRET_STDIN.upper()
SECRET_SOLUTION = "SENTINEL-SOLUTION-4b81"
SECRET_GUIDANCE = "SENTINEL-GUIDANCE-d15e"
SECRET_RUBRIC = "SENTINEL-RUBRIC-a6c0"
SECRET_HIDDEN_FILE = "SENTINEL-HIDDEN-FILE-7d2e"
SENTINELS = (
    SECRET_STDIN, SECRET_EXPECTED, SECRET_SOLUTION, SECRET_GUIDANCE, SECRET_RUBRIC,
    SECRET_HIDDEN_FILE,
)

ECHO_UPPER = "import sys\nprint(sys.stdin.read().strip().upper())\n"


def secret_question(**overrides: Any) -> dict[str, Any]:
    """A question: print the input upper-cased. Its hidden test's input, expected output,
    solution, guidance and rubric all carry sentinels."""
    body: dict[str, Any] = {
        "title": "Shout it",
        "prompt": "Read a line and print it **upper-cased**.",
        "difficulty": "easy",
        "tags": ["strings", "warm-up"],
        "starters": {"python": "# read a line, print it upper-cased\n",
                     "javascript": "// read a line, print it upper-cased\n"},
        "tests": [
            {"name": "hello", "stdin": "hello\n", "expected_stdout": "HELLO\n"},
            {"name": "two words", "stdin": "ab cd\n", "expected_stdout": "AB CD\n",
             "compare": "exact"},
            {"name": "secret", "stdin": SECRET_STDIN + "\n",
             "expected_stdout": SECRET_EXPECTED + "\n", "hidden": True},
        ],
        "solution": f"# {SECRET_SOLUTION}\n{ECHO_UPPER}",
        "solution_language": "python",
        "guidance": f"Look for {SECRET_GUIDANCE}.",
        "rubric": [{"criterion": "Correctness", "description": SECRET_RUBRIC}],
        # A file only a project's tests run would get: its path and content never reach a
        # candidate either.
        "hidden_files": {f"hidden/{SECRET_HIDDEN_FILE}.py": f"# {SECRET_HIDDEN_FILE}\n"},
    }
    body.update(overrides)
    return body


def create_question(server: Server, actor: Actor, **overrides: Any) -> dict[str, Any]:
    with client(server) as c:
        r = c.post("/api/questions", headers=actor.headers, json=secret_question(**overrides))
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
    return out


def api(server: Server) -> httpx.Client:
    return client(server)


class CodeDoc:
    """A y-websocket client of the room's ``code`` document (pycrdt), kept in sync."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.doc: Doc[Any] = Doc()
        self.frames: list[bytes] = []
        self._task = asyncio.create_task(self._read())

    @property
    def text(self) -> str:
        return str(self.doc.get("code", type=Text))

    async def _read(self) -> None:
        async for message in self.ws:
            if not isinstance(message, bytes) or message[0] != YMessageType.SYNC:
                continue
            self.frames.append(message)
            reply = handle_sync_message(message[1:], self.doc)
            if reply is not None and message[1] == YSyncMessageType.SYNC_STEP1:
                await self.ws.send(reply)

    async def type(self, text: str) -> None:
        updates: list[bytes] = []
        sub = self.doc.observe(lambda event: updates.append(event.update))
        self.doc.get("code", type=Text).insert(len(self.text), text)
        self.doc.unobserve(sub)
        for update in updates:
            await self.ws.send(create_update_message(update))

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.text):
                await asyncio.sleep(0.02)


class code_doc:
    """``async with code_doc(server, room_id, token) as doc``: synced on entry."""

    def __init__(self, server: Server, room_id: str, token: str) -> None:
        self.url = f"{server.ws_url}/ws/rooms/{room_id}/yjs/code?token={token}"

    async def __aenter__(self) -> CodeDoc:
        self._conn = websockets.connect(self.url)
        ws = await self._conn.__aenter__()
        self.client = CodeDoc(ws)
        await ws.send(create_sync_message(self.client.doc))
        await asyncio.sleep(0.2)
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        self.client._task.cancel()
        await self._conn.__aexit__(None, None, None)
