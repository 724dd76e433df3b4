"""Runs through the real server: REST, the room's events socket, limits, and server stops."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from pycrdt import (
    Doc,
    Map,
    Text,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from tests.conftest import ServerFactory
from tests.runner.runner_support import processes_of, require_bwrap
from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.server import UID_OFFSET, Server, db_backend

TOOLCHAINS = str(Path(__file__).resolve().parents[2] / "data" / "toolchains")


def runner_env(**extra: str) -> dict[str, str]:
    return {
        "CODEPAIR_RUNNER_TOOLCHAINS_DIR": TOOLCHAINS,
        "CODEPAIR_RUNNER_TIME_LIMIT_SECONDS": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def run_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory(runner_env())


class Events:
    """An events socket that keeps what it receives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            await self.inbox.put(json.loads(raw))

    async def until(self, type_: str, timeout: float = 10) -> list[dict[str, Any]]:
        """Every message up to and including the next one of ``type_``."""
        seen = []
        async with asyncio.timeout(timeout):
            while True:
                message = await self.inbox.get()
                seen.append(message)
                if message["type"] == type_:
                    return seen


@asynccontextmanager
async def events(server: Server, room_id: str, token: str) -> AsyncIterator[Events]:
    url = f"{server.ws_url}/ws/rooms/{room_id}/events?token={token}"
    async with websockets.connect(url) as ws:
        client = Events(ws)
        await client.until("welcome")
        yield client
        client.task.cancel()


def post_run(server: Server, actor: Actor, room_id: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/rooms/{room_id}/runs", headers=actor.headers, json=body, timeout=30
    )


async def test_candidate_runs_code_and_the_room_sees_it(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead, language="python")
    candidate = join(run_server, room)
    api = httpx.Client(base_url=run_server.url, timeout=30)

    langs = api.get("/api/languages", headers=candidate.headers)
    assert langs.status_code == 200, langs.text
    assert {"python", "c", "shell"} <= {lang["id"] for lang in langs.json()["items"]}
    assert langs.json()["sandboxed"] is True

    async with events(run_server, room["id"], lead.token) as lead_events, events(
        run_server, room["id"], candidate.token
    ) as candidate_events:
        code = "import sys\nprint('hello, ' + sys.stdin.read())"
        answer = await asyncio.to_thread(
            post_run, run_server, candidate, room["id"], language="python", code=code,
            stdin="world",
        )
        assert answer.status_code == 201, answer.text
        run = answer.json()
        assert run["status"] == "ok" and run["stdout"] == "hello, world\n"
        assert run["author"] == {"name": candidate.name, "role": "candidate"}
        assert run["code"] == code and run["finished_at"] is not None
        for listener in (lead_events, candidate_events):
            seen = await listener.until("run.finished")
            types = [m["type"] for m in seen if m["type"].startswith("run.")]
            assert types == ["run.started", "run.output", "run.finished"], seen
            output = next(m for m in seen if m["type"] == "run.output")
            assert output == {"type": "run.output", "run_id": run["id"], "stream": "stdout",
                              "text": "hello, world\n"}
            assert seen[-1]["run"]["id"] == run["id"] and seen[-1]["run"]["status"] == "ok"

    spin = post_run(run_server, lead, room["id"], language="c",
                    code="int main(void) { for (;;) {} }").json()
    assert spin["status"] == "time_limit" and "Time limit exceeded" in spin["stderr"]

    listed = api.get(f"/api/rooms/{room['id']}/runs", headers=candidate.headers).json()["items"]
    assert [r["id"] for r in listed] == [spin["id"], run["id"]]
    one = api.get(f"/api/rooms/{room['id']}/runs/{run['id']}", headers=lead.headers)
    assert one.status_code == 200 and one.json() == run

    # Another room's candidate sees nothing of this room's runs.
    other = join(run_server, create_room(run_server, lead))
    assert post_run(run_server, other, room["id"], code="print(1)").status_code == 404
    assert api.get(f"/api/rooms/{room['id']}/runs", headers=other.headers).status_code == 404
    missing = api.get(f"/api/rooms/{room['id']}/runs/nope", headers=lead.headers)
    assert missing.status_code == 404

    bad = post_run(run_server, candidate, room["id"], language="cobol", code="x")
    assert bad.status_code == 422 and "not available" in bad.json()["detail"]
    big = post_run(run_server, candidate, room["id"], code="#" * (256 * 1024 + 1))
    assert big.status_code in (413,), big.text

    # Interviewers turn runs off: everyone is refused; back on, runs work again.
    off = api.patch(f"/api/rooms/{room['id']}", headers=lead.headers, json={"runs_enabled": False})
    assert off.status_code == 200, off.text
    for actor in (candidate, lead):
        refused = post_run(run_server, actor, room["id"], code="print(1)")
        assert refused.status_code == 403, refused.text
    api.patch(f"/api/rooms/{room['id']}", headers=lead.headers, json={"runs_enabled": True})
    assert post_run(run_server, candidate, room["id"], code="print(1)").status_code == 201
    api.close()


async def test_default_code_is_the_rooms_code_document(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead, language="python")
    doc: Doc[Any] = Doc()
    doc["code"] = text = Text()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text += "print(6 * 7)"
    url = f"{run_server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
    async with websockets.connect(url) as ws:
        for update in updates:
            await ws.send(create_update_message(update))
        deadline = time.monotonic() + 5
        while True:
            run = (await asyncio.to_thread(post_run, run_server, lead, room["id"])).json()
            if run.get("stdout") == "42\n" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    assert run["stdout"] == "42\n", run
    assert run["code"] == "print(6 * 7)" and run["language"] == "python"


async def test_default_language_is_the_editors(run_server: Server) -> None:
    """A run without a language takes the one the editor shows (``meta.language``), which
    anyone in the room may have changed since the room was made."""
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead, language="python")
    doc: Doc[Any] = Doc()
    url = f"{run_server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"
    async with websockets.connect(url) as ws:
        # Sync first, so that our change follows the room's seeded language, not races it.
        await ws.send(create_sync_message(doc))
        async with asyncio.timeout(5):
            while doc.get("meta", type=Map).get("language") != "python":
                message = await ws.recv()
                assert isinstance(message, bytes)
                if message[0] == YMessageType.SYNC:
                    reply = handle_sync_message(message[1:], doc)
                    if reply is not None and message[1] == YSyncMessageType.SYNC_STEP1:
                        await ws.send(reply)
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        with doc.transaction():
            doc.get("meta", type=Map)["language"] = "shell"
            doc.get("code", type=Text).insert(0, "echo $((6 * 7))")
        for update in updates:
            await ws.send(create_update_message(update))
        deadline = time.monotonic() + 5
        while True:
            run = (await asyncio.to_thread(post_run, run_server, lead, room["id"])).json()
            if run.get("stdout") == "42\n" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    assert run["language"] == "shell" and run["stdout"] == "42\n", run


def test_rate_limit_and_full_queue(server_factory: ServerFactory) -> None:
    require_bwrap()
    server = server_factory(runner_env(
        CODEPAIR_RUNS_PER_MINUTE_PER_PERSON="2",
        CODEPAIR_RUNNER_CONCURRENCY="1",
        CODEPAIR_RUNNER_QUEUE_SIZE="0",
        CODEPAIR_RUNNER_WAIT_SECONDS="0.2",
    ))
    lead = bootstrap_lead(server)
    room = create_room(server, lead)
    candidate = join(server, room)

    long_run = post_run(server, candidate, room["id"], language="shell", code="sleep 1; echo done")
    assert long_run.status_code == 201 and long_run.json()["status"] in ("queued", "running")
    started = time.monotonic()
    busy = post_run(server, lead, room["id"], language="shell", code="echo hi")
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
    assert time.monotonic() - started < 0.5  # at once, not after the queue drains

    run_id = long_run.json()["id"]
    deadline = time.monotonic() + 10
    while True:
        polled = httpx.get(
            f"{server.url}/api/rooms/{room['id']}/runs/{run_id}", headers=candidate.headers
        ).json()
        if polled["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert polled["status"] == "ok" and polled["stdout"] == "done\n"

    assert post_run(server, candidate, room["id"], language="shell", code=":").status_code == 201
    limited = post_run(server, candidate, room["id"], language="shell", code=":")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    # The limit is per person: the interviewer still runs.
    assert post_run(server, lead, room["id"], language="shell", code=":").status_code == 201


def test_stopping_the_server_mid_run_leaves_no_sandbox(server_factory: ServerFactory) -> None:
    require_bwrap()
    uids = range(63000 + UID_OFFSET, 63004 + UID_OFFSET)
    server = server_factory(runner_env(
        CODEPAIR_RUNNER_UID_BASE=str(63000 + UID_OFFSET),
        CODEPAIR_RUNNER_TIME_LIMIT_SECONDS="60",
        CODEPAIR_RUNNER_WAIT_SECONDS="0.3",
    ))
    lead = bootstrap_lead(server)
    room = create_room(server, lead)
    code = "sleep 100 & sleep 100 & sleep 100"

    # A graceful stop kills the sandbox and records how the run ended.
    first = post_run(server, lead, room["id"], language="shell", code=code).json()
    assert len(processes_of(uids)) >= 3
    server.restart()
    run = httpx.get(
        f"{server.url}/api/rooms/{room['id']}/runs/{first['id']}", headers=lead.headers
    ).json()
    assert run["status"] == "internal_error" and "server stopped" in run["stderr"]
    assert processes_of(uids) == []

    # kill -9 of the server: the sandbox dies with it.
    second = post_run(server, lead, room["id"], language="shell", code=code).json()
    assert len(processes_of(uids)) >= 3
    server.kill()
    deadline = time.monotonic() + 3
    while processes_of(uids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(uids) == []
    if db_backend() == "sqlite":
        # Once no server can still be on it, the run reads as interrupted, not running forever.
        with sqlite3.connect(server.data_dir / "codepair.db") as db:
            db.execute("UPDATE runs SET created_at = '2000-01-01 00:00:00.000000' WHERE id = ?",
                       (second["id"],))
    server.start()
    if db_backend() == "sqlite":
        run = httpx.get(
            f"{server.url}/api/rooms/{room['id']}/runs/{second['id']}", headers=lead.headers
        ).json()
        assert run["status"] == "internal_error" and "interrupted" in run["stderr"], run
