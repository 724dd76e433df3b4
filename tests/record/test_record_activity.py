"""Activity signals on the events socket: stamped by the server, capped, interviewers only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.support.api import Actor, bootstrap_lead, client, create_room, join
from tests.support.events import EventsClient, events
from tests.support.server import Server


async def quiet(ev: EventsClient, seconds: float = 0.3) -> list[str]:
    """The types of what arrives within ``seconds``."""
    await asyncio.sleep(seconds)
    got = []
    while not ev.inbox.empty():
        got.append(ev.inbox.get_nowait()["type"])
    return got


async def test_activity_reaches_interviewers_only_and_lands_on_the_timeline(
    server: Server, lead: Actor
) -> None:
    room = create_room(server, lead)
    cand = join(server, room, name="Cody")
    async with events(server, room["id"], lead.token) as ev_lead:
        await ev_lead.next("welcome")
        async with events(server, room["id"], cand.token) as ev_cand:
            welcome = await ev_cand.next("welcome")
            await ev_cand.next("chat.history")
            before = datetime.now(UTC)
            # A forged time and actor are refused outright (extra fields), not believed.
            await ev_cand.send(
                {"type": "activity", "kind": "paste", "chars": 5, "actor": "Lena Lead"}
            )
            assert (await ev_cand.next("error"))["code"] == "invalid_message"
            await ev_cand.send({"type": "activity", "kind": "paste", "chars": 5, "at": "x"})
            assert (await ev_cand.next("error"))["code"] == "invalid_message"
            await ev_cand.send({"type": "activity", "kind": "paste", "chars": 240,
                                "external": True})
            paste = await ev_lead.next("activity")
            assert paste["kind"] == "paste" and paste["chars"] == 240 and paste["external"]
            assert paste["peer_id"] == welcome["peer_id"] and paste["name"] == "Cody"
            stamped = datetime.fromisoformat(paste["at"])
            assert before - timedelta(seconds=1) <= stamped <= datetime.now(UTC)
            await ev_cand.send({"type": "activity", "kind": "focus_lost"})
            assert (await ev_lead.next("activity"))["kind"] == "focus_lost"
            await asyncio.sleep(0.5)
            await ev_cand.send({"type": "activity", "kind": "focus_returned"})
            back = await ev_lead.next("activity")
            assert back["kind"] == "focus_returned" and back["away_seconds"] >= 0.4
            # The candidate's own socket never gets activity (theirs or anyone's).
            assert "activity" not in await quiet(ev_cand)
            # Bad kinds and sizes.
            for bad in (
                {"type": "activity", "kind": "keylog"},
                {"type": "activity", "kind": "paste", "chars": -1},
                {"type": "activity", "kind": "paste", "chars": 10**9},
                {"type": "activity", "kind": "paste", "chars": "many"},
            ):
                await ev_cand.send(bad)
                assert (await ev_cand.next("error"))["code"] == "invalid_message", bad
            await ev_cand.ws.send(json.dumps({"type": "activity", "kind": "paste",
                                              "chars": 1, "pad": "x" * 70_000}))
            closed = await asyncio.wait_for(ev_cand.closed, 5)
            assert closed[0] == 1009  # over max_event_frame_bytes
    await asyncio.sleep(0.3)
    with client(server) as c:
        timeline = c.get(f"/api/rooms/{room['id']}/timeline", headers=lead.headers).json()
    got = [
        (e["type"], e["actor"]["name"], e["actor"]["role"], e.get("chars"))
        for e in timeline["events"] if e["type"] in ("paste", "focus_lost", "focus_returned")
    ]
    assert got == [
        ("paste", "Cody", "candidate", 240),
        ("focus_lost", "Cody", "candidate", None),
        ("focus_returned", "Cody", "candidate", None),
    ]
    paste_event = next(e for e in timeline["events"] if e["type"] == "paste")
    assert (paste_event["external"] is True and paste_event["at"] == paste["at"].replace(
        "+00:00", "Z"
    )) or paste_event["at"][:19] == paste["at"][:19]


async def test_activity_is_rate_capped(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_ACTIVITY_MESSAGES_PER_WINDOW": "5"})
    owner = bootstrap_lead(srv)
    room = create_room(srv, owner)
    cand = join(srv, room)
    async with events(srv, room["id"], cand.token) as ev_cand:
        await ev_cand.next("welcome")
        for _ in range(5):
            await ev_cand.send({"type": "activity", "kind": "focus_lost"})
        await ev_cand.send({"type": "activity", "kind": "focus_lost"})
        error = await ev_cand.next("error")
        assert error["code"] == "rate_limited"
        # The socket stays open and chat still works.
        await ev_cand.send({"type": "chat.send", "text": "still here"})
        assert (await ev_cand.next("chat.message"))["message"]["text"] == "still here"
    await asyncio.sleep(0.3)
    with client(srv) as c:
        timeline = c.get(f"/api/rooms/{room['id']}/timeline", headers=owner.headers).json()
    assert sum(e["type"] == "focus_lost" for e in timeline["events"]) == 5
