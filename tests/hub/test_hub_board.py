"""The ``board`` document on the Yjs socket: everyone in the room, persisted, capped."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, bootstrap_lead, create_room, create_user, join
from tests.support.server import Server, db_backend


def element(ident: str, version: int = 1, **fields: Any) -> dict[str, Any]:
    """An Excalidraw rectangle as the web client stores it."""
    return {
        "id": ident,
        "type": "rectangle",
        "x": 10,
        "y": 20,
        "width": 100,
        "height": 50,
        "version": version,
        "versionNonce": 1,
        "isDeleted": False,
        **fields,
    }


async def test_board_syncs_between_candidate_and_interviewer(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    assert (await node.connect("lead", server.ws_url, room["id"], "board", lead.token))["synced"]
    assert (await node.connect("cand", server.ws_url, room["id"], "board", cand.token))["synced"]
    await node.call("setElements", client="lead", elements=[element("box")])
    got = await node.call("waitElements", client="cand", count=1)
    assert got["ok"] and got["elements"]["box"]["type"] == "rectangle"
    await node.call("setElements", client="cand", elements=[element("box", 2, x=99)])
    await node.call("setElements", client="cand", elements=[element("arrow", type="arrow")])
    got = await node.call("waitElements", client="lead", count=2)
    assert got["ok"], got
    for _ in range(100):
        seen = (await node.call("elements", client="lead"))["elements"]
        if seen["box"]["x"] == 99:
            break
        await asyncio.sleep(0.02)
    assert seen["box"]["version"] == 2 and seen["arrow"]["type"] == "arrow"


async def test_board_survives_a_restart(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_ROOM_UNLOAD_SECONDS": "0.2"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "board", lead.token)
        drawn = [element(f"e{i}", x=i) for i in range(20)]
        for el in drawn:
            await node.call("setElements", client="a", elements=[el])
        # Every element reached the server (another client sees all 20) before it stops: what
        # the restart must keep is what the server had, not what was still on the wire.
        assert (await node.connect("b", srv.ws_url, room["id"], "board", lead.token))["synced"]
        seen = await node.call("waitElements", client="b", count=20)
        assert seen["ok"], seen
    finally:
        await node.close()
    srv.restart()
    reader = await NodeClients.start()
    try:
        assert (await reader.connect("r", srv.ws_url, room["id"], "board", lead.token))["synced"]
        got = await reader.call("waitElements", client="r", count=20)
        assert got["ok"], got
        assert sorted(got["elements"]) == sorted(el["id"] for el in drawn)
        # The code document is another document: the board's elements are not in it.
        assert (await reader.connect("c", srv.ws_url, room["id"], "code", lead.token))["synced"]
        assert (await reader.call("elements", client="c"))["elements"] == {}
    finally:
        await reader.close()


async def test_board_refuses_another_rooms_token(server: Server, lead: Actor) -> None:
    room_a = create_room(server, lead)
    room_b = create_room(server, lead)
    cand_a = join(server, room_a)
    stranger = create_user(server, lead, "interviewer")  # not on room B
    for token, status in ((cand_a.token, 403), (stranger.token, 403), ("garbage", 401), ("", 401)):
        url = f"{server.ws_url}/ws/rooms/{room_b['id']}/yjs/board?token={token}"
        with pytest.raises(InvalidStatus) as err:
            async with websockets.connect(url):
                pass
        assert err.value.response.status_code == status, token
    async with websockets.connect(
        f"{server.ws_url}/ws/rooms/{room_a['id']}/yjs/board?token={cand_a.token}"
    ) as ws:
        assert (await ws.recv())[:2] == b"\x00\x00"  # the server's STEP1: the candidate is in


async def test_board_element_cap_trims_for_everyone(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_BOARD_MAX_ELEMENTS": "5"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "board", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "board", lead.token)
        await node.call("setElements", client="a", elements=[element(f"x{i}") for i in range(3)])
        assert (await node.call("waitElements", client="b", count=3))["ok"]
        # One paste of 6 more: the server keeps the first 2 of them and deletes the rest,
        # on the sender too.
        await node.call("setElements", client="a", elements=[element(f"y{i}") for i in range(6)])
        for name in ("a", "b"):
            got = await node.call("waitElements", client=name, count=5)
            assert got["ok"], (name, sorted(got["elements"]))
        # Updating an element that is there is still fine at the cap.
        await node.call("setElements", client="b", elements=[element("x0", 2, x=500)])
        for _ in range(100):
            seen = (await node.call("elements", client="a"))["elements"]
            if seen["x0"]["x"] == 500:
                break
            await asyncio.sleep(0.02)
        assert seen["x0"]["x"] == 500 and len(seen) == 5
    finally:
        await node.close()
    fresh = await NodeClients.start()
    try:
        await fresh.connect("r", srv.ws_url, room["id"], "board", lead.token)
        got = await fresh.call("waitElements", client="r", count=5)
        assert got["ok"], got  # the trim is in the log too
    finally:
        await fresh.close()


async def test_board_size_cap_closes_the_sender(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_BOARD_MAX_BYTES": "20000"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "board", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "board", lead.token)
        await node.call("setElements", client="a", elements=[element("small")])
        assert (await node.call("waitElements", client="b", count=1))["ok"]
        big = element("big", type="text", text="x" * 30_000)
        await node.call("setElements", client="a", elements=[big])
        for _ in range(200):
            if node.closes("a"):
                break
            await asyncio.sleep(0.02)
        assert node.closes("a") and node.closes("a")[0]["code"] == 4413
        await asyncio.sleep(0.3)
        seen = (await node.call("elements", client="b"))["elements"]
        assert sorted(seen) == ["small"]  # never applied, never relayed
        await node.call("disconnect", client="a")
        # Under the cap, the board goes on.
        await node.call("setElements", client="b", elements=[element("more")])
        url = f"{srv.ws_url}/ws/rooms/{room['id']}/yjs/board?token={lead.token}"
        async with websockets.connect(url) as ws:
            await ws.recv()
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                async with asyncio.timeout(1):
                    while True:
                        await ws.recv()
            assert ws.close_code is None
    finally:
        await node.close()
    fresh = await NodeClients.start()
    try:
        await fresh.connect("r", srv.ws_url, room["id"], "board", lead.token)
        got = await fresh.call("waitElements", client="r", count=2)
        assert got["ok"] and sorted(got["elements"]) == ["more", "small"], got
    finally:
        await fresh.close()


@pytest.mark.redis
async def test_board_across_two_instances_with_its_cap(
    server_factory: Callable[..., Server],
) -> None:
    from tests.hub.test_hub_instances import REDIS_URL, _require_redis

    _require_redis()
    env = {
        "CODEPAIR_REDIS_URL": REDIS_URL,
        "CODEPAIR_REDIS_CHANNEL_PREFIX": f"test-{secrets.token_hex(4)}:",
        "CODEPAIR_SECRET_KEY": secrets.token_urlsafe(48),
        "CODEPAIR_BOARD_MAX_ELEMENTS": "4",
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
        await node.connect("a", one.ws_url, room["id"], "board", lead.token)
        await node.connect("b", two.ws_url, room["id"], "board", cand.token)
        await node.call("setElements", client="a", elements=[element("x0"), element("x1")])
        assert (await node.call("waitElements", client="b", count=2))["ok"]
        # Over the cap on the second instance: trimmed there, and the trim crosses back.
        await node.call("setElements", client="b", elements=[element(f"y{i}") for i in range(4)])
        for name in ("a", "b"):
            got = await node.call("waitElements", client=name, count=4)
            assert got["ok"], (name, sorted(got["elements"]))
    finally:
        await node.close()
