"""GET replay of an ended room is served from a cache that follows what still changes after
the end (here: a leave recorded after the room ended)."""

from __future__ import annotations

import asyncio
import gzip
import json

from tests.support.api import Actor, client, create_room
from tests.support.events import events
from tests.support.server import Server


async def test_an_ended_rooms_replay_is_cached_and_follows_later_events(
    server: Server, lead: Actor
) -> None:
    room = create_room(server, lead, language="python")
    path = f"/api/rooms/{room['id']}/replay"
    async with events(server, room["id"], lead.token) as ev_lead:
        await ev_lead.next("welcome")
        await asyncio.sleep(0.3)  # the joined event is written within a group commit
        with client(server) as c:
            assert c.post(f"/api/rooms/{room['id']}/end", headers=lead.headers).status_code == 200
        await asyncio.sleep(0.3)
        with client(server) as c:
            first = c.get(path, headers=lead.headers)
            again = c.get(path, headers=lead.headers)
        assert first.status_code == 200 and again.status_code == 200
        assert first.headers["content-type"] == "application/json"
        assert again.content == first.content  # the same answer (from the cache)
        kinds = [e["type"] for e in first.json()["events"]]
        assert kinds == ["joined", "ended"] and first.json()["room"]["ended_at"]
    # The socket closes after the end: its leave is recorded, and the replay shows it.
    await asyncio.sleep(0.5)
    with client(server) as c:
        later = c.get(path, headers=lead.headers)
    assert [e["type"] for e in later.json()["events"]] == ["joined", "ended", "left"]


def test_the_replay_goes_gzipped_to_a_client_that_accepts_it(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, language="python")
    path = f"/api/rooms/{room['id']}/replay"
    with client(server) as c:
        for ended in (False, True):  # built for each request, then kept serialized
            if ended:
                assert c.post(f"/api/rooms/{room['id']}/end", headers=lead.headers).is_success
            plain = c.get(path, headers={**lead.headers, "accept-encoding": "identity"})
            assert "content-encoding" not in plain.headers
            with c.stream("GET", path, headers={**lead.headers, "accept-encoding": "gzip"}) as r:
                raw = b"".join(r.iter_raw())
            assert r.headers["content-encoding"] == "gzip"
            assert r.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
            unzipped, expected = json.loads(gzip.decompress(raw)), plain.json()
            if not ended:  # a live room's answer says when it was made
                assert unzipped.pop("now") >= expected.pop("now")
            assert unzipped == expected and expected["room"]["id"] == room["id"]
