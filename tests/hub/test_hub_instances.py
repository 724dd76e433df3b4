"""Two hub instances behind one database and one Redis: a room spans both."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from tests.hub.nodeclients import NodeClients
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.events import events
from tests.support.server import Server, db_backend

REDIS_URL = os.environ.get("CODEPAIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.redis


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set CI=1 to fail instead)")


@pytest.fixture
def two_instances(server_factory: Callable[..., Server]) -> tuple[Server, Server]:
    _require_redis()
    env = {
        "CODEPAIR_REDIS_URL": REDIS_URL,
        "CODEPAIR_REDIS_CHANNEL_PREFIX": f"test-{secrets.token_hex(4)}:",
        "CODEPAIR_SECRET_KEY": secrets.token_urlsafe(48),
    }
    first = server_factory(env)
    url = first.database_url
    if db_backend() == "sqlite":  # one database for both: the first one's file
        url = f"sqlite+aiosqlite:///{first.data_dir / 'codepair.db'}"
    second = server_factory(env, database_url=url)
    return first, second


async def test_a_room_spans_two_instances(two_instances: tuple[Server, Server]) -> None:
    one, two = two_instances
    lead = bootstrap_lead(one)
    room: dict[str, Any] = create_room(one, lead)
    cand = join(one, room)
    node = await NodeClients.start()
    try:
        await node.connect("a", one.ws_url, room["id"], "code", lead.token, user={"name": "A"})
        await node.connect("b", two.ws_url, room["id"], "code", cand.token, user={"name": "B"})
        # Edits cross instances both ways, and the new room's language came along.
        await asyncio.gather(
            node.call("type", client="a", text="from one;", delay=2),
            node.call("type", client="b", text="from two;", delay=2),
        )
        for name in ("a", "b"):
            assert (await node.call("waitLength", client=name, length=18))["ok"]
        assert await node.text("a") == await node.text("b")
        assert (await node.call("meta", client="b"))["meta"] == {"language": "python"}
        # Cursors cross too, and go when their socket closes on the other instance.
        deadline = time.monotonic() + 5
        while not (await node.call("awareness", client="a"))["states"]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        late = await NodeClients.start()
        await late.connect("c", two.ws_url, room["id"], "code", lead.token, user={"name": "C"})
        while len((await node.call("awareness", client="a"))["states"]) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        late.kill()
        killed = time.monotonic()
        while len((await node.call("awareness", client="a"))["states"]) > 1:
            assert time.monotonic() - killed < 1.0, "ghost cursor across instances"
            await asyncio.sleep(0.02)
        await late.close()

        async with (
            events(one, room["id"], lead.token) as ea,
            events(two, room["id"], cand.token) as eb,
        ):
            welcome_a = await ea.next("welcome")
            welcome_b = await eb.next("welcome")
            peer_a, peer_b = welcome_a["peer_id"], welcome_b["peer_id"]
            # Each learns of the other on the other instance: in its welcome, or just after.
            for welcome, client, other in ((welcome_a, ea, peer_b), (welcome_b, eb, peer_a)):
                if not any(p["peer_id"] == other for p in welcome["peers"]):
                    assert (await client.next("peer.joined"))["peer"]["peer_id"] == other
            await eb.send({"type": "chat.send", "text": "hello across"})
            assert (await ea.next("chat.message"))["message"]["text"] == "hello across"
            assert (await eb.next("chat.message"))["message"]["text"] == "hello across"
            await ea.send({"type": "signal", "to": peer_b, "data": {"sdp": "offer"}})
            signal = await eb.next("signal")
            assert signal == {"type": "signal", "from": peer_a, "data": {"sdp": "offer"}}

            # Ending the room on one instance closes the candidate's sockets on the other.
            with httpx.Client(base_url=one.url) as http:
                ended = time.monotonic()
                r = http.post(f"/api/rooms/{room['id']}/end", headers=lead.headers)
                assert r.status_code == 200
            await eb.next("room.ended", timeout=1)
            code, _ = await asyncio.wait_for(eb.closed, 1)
            assert code == 4410
            while not node.closes("b"):
                assert time.monotonic() - ended < 1.0
                await asyncio.sleep(0.02)
            assert node.closes("b")[0]["code"] == 4410
            await ea.next("room.ended", timeout=1)
    finally:
        await node.close()
