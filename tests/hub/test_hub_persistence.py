"""Durability: unload, graceful restart, kill -9 mid-typing, and compaction of the log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory
from codepair.db.models.record import YSnapshot, YUpdate
from tests.hub.nodeclients import NodeClients, two_editors
from tests.support.api import bootstrap_lead, create_room
from tests.support.server import Server

HUB_ENV = {
    "CODEPAIR_ROOM_UNLOAD_SECONDS": "0.2",
    "CODEPAIR_YJS_COMPACT_AFTER_UPDATES": "40",
}


async def _log_rows(server: Server, room_id: str) -> tuple[int, int | None]:
    """(rows in the update log, snapshot's upto_seq) for the room's code doc."""
    url = server.database_url or f"sqlite+aiosqlite:///{server.data_dir / 'codepair.db'}"
    engine = create_engine(Settings(database_url=url, data_dir=server.data_dir))
    try:
        async with session_factory(engine)() as db:
            rows = await db.scalar(
                select(func.count()).select_from(YUpdate).where(YUpdate.room_id == room_id)
            )
            upto = await db.scalar(
                select(YSnapshot.upto_seq).where(
                    YSnapshot.room_id == room_id, YSnapshot.doc == "code"
                )
            )
    finally:
        await engine.dispose()
    return int(rows or 0), upto


async def _fresh_text(server: Server, room_id: str, token: str) -> str:
    reader = await NodeClients.start()
    try:
        assert (await reader.connect("r", server.ws_url, room_id, "code", token))["synced"]
        return await reader.text("r")
    finally:
        await reader.close()


async def test_text_survives_unload_restart_and_compaction(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory(HUB_ENV)
    async with two_editors(srv) as (lead, room, node):
        await node.call("type", client="a", text="print('hello')\n" * 6, delay=1)
        await node.call("type", client="b", text="# end\n", delay=1)
        total = len("print('hello')\n" * 6 + "# end\n")
        for name in ("a", "b"):
            assert (await node.call("waitLength", client=name, length=total))["ok"]
        expected = await node.text("a")
        assert await node.text("b") == expected
    # Everyone left: the room unloads after 0.2 s.
    await asyncio.sleep(1.0)
    assert await _fresh_text(srv, room["id"], lead.token) == expected
    rows, upto = await _log_rows(srv, room["id"])
    # One row per keystroke (plus the language seed) was logged and every row is kept (it is
    # the history); compaction made a snapshot of the older ones, and what a load reads
    # after it is shorter than the compaction threshold.
    assert upto is not None and upto >= 40
    assert rows >= len(expected) and rows - upto < 40

    srv.restart()
    assert await _fresh_text(srv, room["id"], lead.token) == expected


async def test_kill_minus_9_mid_typing_loses_nothing(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_ROOM_UNLOAD_SECONDS": "60"})
    lead = bootstrap_lead(srv)
    room: dict[str, Any] = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "code", lead.token)
        text_a = "".join(f"a{i:03d};" for i in range(150))
        text_b = "".join(f"b{i:03d};" for i in range(150))
        typing = asyncio.gather(
            node.call("type", client="a", text=text_a, delay=3, timeout=60),
            node.call("type", client="b", text=text_b, delay=3, timeout=60),
        )
        await asyncio.sleep(1.0)
        srv.kill()  # SIGKILL to the whole server: no flush, no goodbye
        killed_at = time.monotonic()
        srv.start()
        assert time.monotonic() - killed_at < 30
        await typing
        for name in ("a", "b"):
            assert (await node.call("waitSynced", client=name))["ok"]
        # Wait until both hold every keystroke (each may still be receiving the other's).
        total = len(text_a) + len(text_b)
        for name in ("a", "b"):
            assert (await node.call("waitLength", client=name, length=total))["ok"]
        final_a = await node.text("a")
        assert await node.text("b") == final_a
        assert sorted(final_a) == sorted(text_a + text_b)
        # Let the group commit catch up with the reconnect's sync, then read it back cold.
        await asyncio.sleep(0.3)
    finally:
        await node.close()
    srv.restart()
    assert await _fresh_text(srv, room["id"], lead.token) == final_a
