"""The interview record through a real server: the document at each moment, the timeline.

y-websocket clients (npm, in Node) type known text at known moments; the history endpoint
must give exactly what had been typed by each moment, after compaction and after a restart,
on SQLite and on PostgreSQL (``CODEPAIR_TEST_DB``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server

# Compaction after 40 rows, so that it runs many times; unload quickly to read back cold.
HUB_ENV = {
    "CODEPAIR_ROOM_UNLOAD_SECONDS": "0.3",
    "CODEPAIR_YJS_COMPACT_AFTER_UPDATES": "40",
}
SEGMENTS = [
    "def add(a, b):\n",
    "    return a + b\n" * 10,  # 170 keystrokes
    "# a comment that the candidate writes\n" * 10,  # past the first keyframe (500 rows)
    "print(add(1, 2))\n",
]


def history(srv: Server, actor: Actor, room_id: str, at: datetime | None = None,
            doc: str = "code") -> httpx.Response:
    params = {"at": at.isoformat()} if at is not None else {}
    with client(srv) as c:
        return c.get(f"/api/rooms/{room_id}/history/{doc}", headers=actor.headers, params=params)


async def type_segments(
    node: NodeClients, who: list[str], language_at: int
) -> tuple[list[tuple[datetime, str]], list[str]]:
    """Type each segment (alternating clients), marking the moment after each; the language
    changes after segment ``language_at``. Returns the moments with their text and, per
    moment, the language."""
    marks: list[tuple[datetime, str]] = []
    languages: list[str] = []
    typed = ""
    language = "python"
    for i, segment in enumerate(SEGMENTS):
        name = who[i % len(who)]
        await node.call("type", client=name, text=segment, timeout=120)
        typed += segment
        for other in who:
            assert (await node.call("waitLength", client=other, length=len(typed)))["ok"]
        if i == language_at:
            await node.call("setMeta", client=name, key="language", value="javascript")
            language = "javascript"
        await asyncio.sleep(0.3)  # past the group commit
        marks.append((datetime.now(UTC), typed))
        languages.append(language)
        await asyncio.sleep(0.3)
    return marks, languages


def check_moments(srv: Server, lead: Actor, room_id: str,
                  marks: list[tuple[datetime, str]], languages: list[str]) -> None:
    for (moment, text), language in zip(marks, languages, strict=True):
        r = history(srv, lead, room_id, moment)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["text"] == text, (moment, len(body["text"]), len(text))
        assert body["language"] == language
        assert body["seq"] > 0
    now = history(srv, lead, room_id).json()
    assert now["text"] == marks[-1][1]


async def test_document_at_each_moment_survives_compaction_and_restart(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory(HUB_ENV)
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead, language="python")
    cand = join(srv, room, name="Cody")
    start = datetime.now(UTC)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "code", cand.token)
        marks, languages = await type_segments(node, ["a", "b"], language_at=1)
    finally:
        await node.close()
    # Before anything was typed: the empty document (and the language the room started with).
    r = history(srv, lead, room["id"], start)
    assert r.status_code == 200 and r.json()["text"] == ""
    check_moments(srv, lead, room["id"], marks, languages)

    await asyncio.sleep(1.0)  # the room unloads; its log was compacted many times over
    srv.restart()
    check_moments(srv, lead, room["id"], marks, languages)

    # The replay's data holds every update, with its author, and the keyframes.
    with client(srv) as c:
        replay = c.get(f"/api/rooms/{room['id']}/replay", headers=lead.headers).json()
    code = replay["docs"]["code"]
    total = sum(len(s) for s in SEGMENTS)
    assert len(code["updates"]) >= total  # one per keystroke, plus the language changes
    assert len(code["keyframes"]) >= 1
    # (The candidate never opened the events socket: their name is the room's candidate's.)
    names = {a["name"]: a["role"] for a in replay["authors"]}
    assert names["Lena Lead"] == "lead" and names["Cody Candidate"] == "candidate"
    # Pages of updates follow each other to the end.
    seen, after = 0, -1
    with client(srv) as c:
        while after is not None:
            page = c.get(
                f"/api/rooms/{room['id']}/history/code/updates",
                headers=lead.headers, params={"after": after, "limit": 400},
            ).json()
            seen += len(page["updates"])
            after = page["next_after"]
    assert seen == len(code["updates"])


async def test_timeline_lists_joins_chat_runs_language_in_order_with_actors(
    server: Server, lead: Actor
) -> None:
    room = create_room(server, lead, language="python")
    cand = join(server, room, name="Cody")
    node = await NodeClients.start()
    try:
        async with events(server, room["id"], lead.token) as ev_lead:
            await ev_lead.next("welcome")
            async with events(server, room["id"], cand.token) as ev_cand:
                await ev_cand.next("welcome")
                await ev_cand.send({"type": "chat.send", "text": "hello there"})
                await ev_lead.next("chat.message")
                await ev_cand.next("chat.message")  # the sender gets it too
                await node.connect("b", server.ws_url, room["id"], "code", cand.token)
                await node.call("type", client="b", text="print(42)\n")
                await asyncio.sleep(0.2)
                await node.call("setMeta", client="b", key="language", value="javascript")
                await asyncio.sleep(0.2)
                with client(server) as c:
                    r = c.post(
                        f"/api/rooms/{room['id']}/runs", headers=cand.headers,
                        json={"language": "python", "code": "print(42)"},
                    )
                    assert r.status_code == 201, r.text
                    run_id = r.json()["id"]
                await ev_lead.send({"type": "chat.send", "text": "nice"})
                await ev_cand.next("chat.message")
            await ev_lead.next("peer.left")
        with client(server) as c:
            assert c.post(f"/api/rooms/{room['id']}/end", headers=lead.headers).status_code == 200
        await asyncio.sleep(0.3)  # the hub's timeline writes follow within a group commit
        with client(server) as c:
            r = c.get(f"/api/rooms/{room['id']}/timeline", headers=lead.headers)
        assert r.status_code == 200, r.text
        got = [
            (e["type"], (e["actor"] or {}).get("name"), e.get("text") or e.get("language"))
            for e in r.json()["events"]
        ]
    finally:
        await node.close()
    assert got == [
        ("joined", "Lena Lead", None),
        ("joined", "Cody", None),
        ("chat", "Cody", "hello there"),
        ("language", "Cody", "javascript"),
        ("run", "Cody", "python"),
        ("chat", "Lena Lead", "nice"),
        ("left", "Cody", None),
        ("left", "Lena Lead", None),
        ("ended", None, None),
    ]
    events_out = r.json()["events"]
    run = next(e for e in events_out if e["type"] == "run")
    assert run["run_id"] == run_id and run["status"] in ("ok", "queued", "running")
    assert all(events_out[i]["at"] <= events_out[i + 1]["at"] for i in range(len(got) - 1))
    assert events_out[1]["actor"]["role"] == "candidate"


def test_every_record_endpoint_refuses_candidates_strangers_and_other_rooms(
    server: Server, lead: Actor
) -> None:
    owner = create_user(server, lead, name="Owen Owner")
    stranger = create_user(server, lead, name="Sam Stranger")
    room = create_room(server, owner)
    other = create_room(server, stranger)
    cand = join(server, room)
    other_cand = join(server, other)
    paths = [
        f"/api/rooms/{room['id']}/timeline",
        f"/api/rooms/{room['id']}/history/code",
        f"/api/rooms/{room['id']}/history/notes",
        f"/api/rooms/{room['id']}/history/code/updates",
        f"/api/rooms/{room['id']}/replay",
    ]
    with client(server) as c:
        for path in paths:
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
            assert c.get(path, headers=cand.headers).status_code == 403, path
            assert c.get(path, headers=stranger.headers).status_code == 404, path
            assert c.get(path, headers=other_cand.headers).status_code == 404, path
            assert c.get(path, headers=owner.headers).status_code == 200, path
            assert c.get(path, headers=lead.headers).status_code == 200, path


def test_a_bad_moment_gets_a_clear_answer(server: Server, lead: Actor) -> None:
    room = create_room(server, lead)
    path = f"/api/rooms/{room['id']}/history/code"
    created = datetime.fromisoformat(room["created_at"])
    with client(server) as c:
        def at(value: str) -> httpx.Response:
            return c.get(path, headers=lead.headers, params={"at": value})

        for bad in ("yesterday", "2026-13-01T00:00:00Z", "1" * 70, "2026-12-01T25:00"):
            r = at(bad)
            assert r.status_code == 422, (bad, r.text)
            assert "ISO 8601" in r.json()["detail"] or "at" in str(r.json()["detail"])
        r = at((datetime.now(UTC) + timedelta(hours=1)).isoformat())
        assert r.status_code == 422 and "future" in r.json()["detail"]
        r = at((created - timedelta(minutes=5)).isoformat())
        assert r.status_code == 422 and "before the interview existed" in r.json()["detail"]
        # A time without a zone is UTC; a moment just after creation is the empty document.
        r = at((created + timedelta(milliseconds=1)).replace(tzinfo=None).isoformat())
        assert r.status_code == 200 and r.json()["text"] == ""
        assert c.get(
            f"/api/rooms/{room['id']}/history/nope", headers=lead.headers
        ).status_code == 404
        r = c.get(path + "/updates", headers=lead.headers, params={"limit": 100_000})
        assert r.status_code == 422


