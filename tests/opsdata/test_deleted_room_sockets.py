"""A room deleted behind the server's back (``codepair purge`` in another process, a delete
straight in the database) has its open sockets closed within the hub's sweep period; the
sockets of other rooms stay open."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
import websockets
from pycrdt import Doc, create_sync_message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection

from codepair.hub.deleted import SWEEP_SECONDS
from codepair.hub.protocol import CloseCode
from tests.opsdata.rows import database_url, room_rows
from tests.opsdata.test_retention_purge import _end, _set_retention
from tests.support.api import Actor, bootstrap_lead, client, create_room
from tests.support.events import EventsClient, events
from tests.support.server import Server

ServerFactory = Callable[..., Server]


@asynccontextmanager
async def yjs(srv: Server, room_id: str, doc: str, token: str) -> AsyncIterator[ClientConnection]:
    """A synced y-websocket client that then stays idle."""
    url = f"{srv.ws_url}/ws/rooms/{room_id}/yjs/{doc}?token={token}"
    async with websockets.connect(url) as ws:
        await ws.send(create_sync_message(Doc()))
        await asyncio.wait_for(ws.recv(), 5)  # the server's answer: we are in
        yield ws


class RoomSockets:
    """An interviewer's idle sockets of one room: events, code and notes."""

    def __init__(self, ev: EventsClient, docs: list[ClientConnection]) -> None:
        self.ev = ev
        self.docs = docs

    async def closed_within(self, seconds: float) -> list[int | None]:
        """Close codes of every socket, once all are closed (TimeoutError if not in time)."""
        async with asyncio.timeout(seconds):
            code, _ = await self.ev.closed
            for ws in self.docs:
                await ws.wait_closed()
        return [code, *(ws.close_code for ws in self.docs)]

    async def still_open(self) -> None:
        assert not self.ev.closed.done()
        await self.ev.send({"type": "chat.send", "text": "still here"})
        await self.ev.next("chat.message")
        for ws in self.docs:
            await ws.send(create_sync_message(Doc()))
            await asyncio.wait_for(ws.recv(), 5)


async def open_room(stack: AsyncExitStack, srv: Server, owner: Actor, room_id: str) -> RoomSockets:
    ev = await stack.enter_async_context(events(srv, room_id, owner.token))
    await ev.next("welcome")
    docs = [
        await stack.enter_async_context(yjs(srv, room_id, doc, owner.token))
        for doc in ("code", "notes")
    ]
    return RoomSockets(ev, docs)


async def _deleted_closes_only_its_sockets(
    srv: Server, owner: Actor, delete: Callable[[str], Any]
) -> float:
    doomed = create_room(srv, owner, candidate_name="Doomed")["id"]
    kept = create_room(srv, owner, candidate_name="Kept")["id"]
    async with AsyncExitStack() as stack:
        gone = await open_room(stack, srv, owner, doomed)
        stay = await open_room(stack, srv, owner, kept)
        # Idle from here: the group commit writes what the first load seeded, so no write
        # of this room can fail after the delete and drop it that way.
        await asyncio.sleep(1.0)
        await delete(doomed)
        assert (await room_rows(srv, doomed))["rooms"] == 0
        started = time.monotonic()
        codes = await gone.closed_within(SWEEP_SECONDS + 3)
        took = time.monotonic() - started
        assert codes == [CloseCode.ROOM_ENDED] * 3, codes
        await stay.still_open()
    return took


@pytest.mark.timeout(60)
async def test_a_purge_in_another_process_closes_the_rooms_sockets(
    server_factory: ServerFactory,
) -> None:
    srv = server_factory()
    lead = bootstrap_lead(srv)
    _set_retention(srv, lead, 30)

    async def purge(room_id: str) -> None:
        # Ended long ago (interviewers' sockets stay open after the end, for the record).
        await _end(srv, lead, room_id, days_ago=40)
        assert "deleted 1 ended interview(s)" in srv.cli("purge").stdout

    took = await _deleted_closes_only_its_sockets(srv, lead, purge)
    assert took <= SWEEP_SECONDS + 1


@pytest.mark.timeout(60)
async def test_a_delete_in_the_database_closes_the_rooms_sockets(
    server_factory: ServerFactory,
) -> None:
    srv = server_factory()
    lead = bootstrap_lead(srv)

    async def delete(room_id: str) -> None:
        # What another instance's DELETE does, without a bus to tell this one: the rows
        # cascade from rooms (SQLite enforces foreign keys per connection).
        engine = create_async_engine(database_url(srv))
        try:
            async with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    await conn.execute(text("PRAGMA foreign_keys = ON"))
                await conn.execute(text("DELETE FROM rooms WHERE id = :id"), {"id": room_id})
        finally:
            await engine.dispose()

    await _deleted_closes_only_its_sockets(srv, lead, delete)
    with client(srv) as c:
        assert c.get("/api/rooms", headers=lead.headers).json()["total"] == 1
