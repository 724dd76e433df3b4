"""The size caps of the ``code`` and ``notes`` documents (codepair/hub/doccaps.py): an
update that would pass the cap is refused before it is applied, never relayed nor logged,
and its socket closed with 4413; counted on the document, whichever instance took the edits."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Doc

from codepair.hub.doccaps import DocGuard
from tests.hub.nodeclients import NodeClients
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server, db_backend

CAP = 20_000


async def closed_with(node: NodeClients, client: str, timeout: float = 10.0) -> int | None:
    for _ in range(int(timeout / 0.02)):
        if node.closes(client):
            return int(node.closes(client)[0]["code"])
        await asyncio.sleep(0.02)
    return None


def test_guard_measures_again_only_after_its_slack() -> None:
    doc: Doc[Any] = Doc()
    guard = DocGuard(doc, max_bytes=6400)  # slack: 100 bytes
    assert guard.slack == 100
    guard.measure(doc)  # an empty document: 2 bytes
    guard.grew(bytes(50))  # counted as applied (the document stays empty here)
    # Under the slack since the last measure, an update over the cap is refused on the
    # estimate, without encoding the state again...
    assert not guard.admit(doc, 6400)
    # ...and once the slack has been applied, the state is measured: it is nearly empty.
    guard.grew(bytes(60))
    assert guard.admit(doc, 6300)
    assert not guard.admit(doc, 7000)  # over the cap by itself, whatever the document holds


@pytest.mark.parametrize("doc", ["code", "notes"])
async def test_an_update_over_the_cap_is_refused_and_never_seen(
    server_factory: Callable[..., Server], doc: str
) -> None:
    srv = server_factory(
        {
            "CODEPAIR_CODE_MAX_BYTES": str(CAP),
            "CODEPAIR_NOTES_MAX_BYTES": str(CAP),
            "CODEPAIR_ROOM_UNLOAD_SECONDS": "0.2",
        }
    )
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], doc, lead.token)
        await node.connect("b", srv.ws_url, room["id"], doc, lead.token)
        await node.call("insert", client="a", text="small;")
        assert (await node.call("waitText", client="b", text="small;"))["ok"]
        await node.call("insert", client="a", text="x" * 25_000)  # over the cap alone
        assert await closed_with(node, "a") == 4413
        await asyncio.sleep(0.3)
        assert await node.text("b") == "small;"  # never applied, never relayed
        # The others go on: b types, and a newcomer syncs what the document holds.
        await node.call("type", client="b", text="more")
        await node.connect("c", srv.ws_url, room["id"], doc, lead.token)
        assert (await node.call("waitText", client="c", text="small;more"))["ok"]
        # Under the cap, a larger edit than a keystroke is still taken.
        await node.call("insert", client="b", text="y" * 5_000)
        assert (await node.call("waitLength", client="c", length=5_010))["ok"]
        # Filling the document up closes the one who passes the cap, not the others.
        await node.call("insert", client="c", text="z" * 16_000)
        assert await closed_with(node, "c") == 4413
        await node.call("type", client="b", text="!")
        assert not node.closes("b")
    finally:
        await node.close()
    await asyncio.sleep(0.5)  # unloaded: the next socket loads the document from the log
    fresh = await NodeClients.start()
    try:
        await fresh.connect("r", srv.ws_url, room["id"], doc, lead.token)
        text = await fresh.text("r")
        assert text == "small;more" + "y" * 5_000 + "!", len(text)  # the log kept no refusal
    finally:
        await fresh.close()


@pytest.mark.redis
async def test_the_cap_counts_edits_taken_by_another_instance(
    server_factory: Callable[..., Server],
) -> None:
    from tests.hub.test_hub_instances import REDIS_URL, _require_redis

    _require_redis()
    env = {
        "CODEPAIR_REDIS_URL": REDIS_URL,
        "CODEPAIR_REDIS_CHANNEL_PREFIX": f"test-{secrets.token_hex(4)}:",
        "CODEPAIR_SECRET_KEY": secrets.token_urlsafe(48),
        "CODEPAIR_CODE_MAX_BYTES": str(CAP),
    }
    one = server_factory(env)
    url = one.database_url
    if db_backend() == "sqlite":  # one database for both: the first one's file
        url = f"sqlite+aiosqlite:///{one.data_dir / 'codepair.db'}"
    two = server_factory(env, database_url=url)
    lead = bootstrap_lead(one)
    room = create_room(one, lead)
    cand = join(one, room)
    node = await NodeClients.start()
    try:
        await node.connect("a", one.ws_url, room["id"], "code", lead.token)
        await node.connect("b", two.ws_url, room["id"], "code", cand.token)
        # 12 KB through the first instance: under the cap, and the second one applies it.
        await node.call("insert", client="a", text="a" * 12_000)
        assert (await node.call("waitLength", client="b", length=12_000))["ok"]
        # 12 KB more through the second: alone it is under the cap, with the first's not.
        await node.call("insert", client="b", text="b" * 12_000)
        assert await closed_with(node, "b") == 4413
        await asyncio.sleep(0.3)
        assert await node.text("a") == "a" * 12_000
        # The first instance refuses it too, and goes on taking what fits.
        await node.call("insert", client="a", text="c" * 12_000)
        assert await closed_with(node, "a") == 4413
        await node.connect("c", two.ws_url, room["id"], "code", lead.token)
        await node.call("type", client="c", text="ok")
        await node.connect("d", one.ws_url, room["id"], "code", lead.token)
        assert (await node.call("waitText", client="d", text="a" * 12_000 + "ok"))["ok"]
    finally:
        await node.close()
