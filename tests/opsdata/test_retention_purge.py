"""Retention and deletion: nothing of a purged, erased or deleted room is left in any table."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from codepair.db.models.base import Base
from codepair.domain.operations.retention import PURGE_BATCH
from tests.hub.nodeclients import NodeClients
from tests.opsdata.rows import execute, room_rows, scalar
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server

ServerFactory = Callable[..., Server]


def test_every_room_table_cascades_from_rooms() -> None:
    """What purge relies on: each ``room_id`` is a foreign key to rooms.id, ON DELETE CASCADE."""
    tables = [t for t in Base.metadata.sorted_tables if "room_id" in t.c]
    assert {"chat_messages", "yjs_updates", "yjs_snapshots", "runs", "invites"} <= {
        t.name for t in tables
    }
    for table in tables:
        fks = [fk for fk in table.c.room_id.foreign_keys if fk.target_fullname == "rooms.id"]
        assert fks, f"{table.name}.room_id is not a foreign key to rooms.id"
        assert fks[0].ondelete == "CASCADE", f"{table.name}.room_id does not cascade"


async def _fill(srv: Server, owner: Actor, node: NodeClients, name: str, **room: Any) -> str:
    """A room with code and notes typed, a candidate's chat and a run: rows in many tables."""
    r = create_room(srv, owner, **room)
    candidate = join(srv, r)
    await node.connect(f"{name}-code", srv.ws_url, r["id"], "code", candidate.token)
    await node.connect(f"{name}-notes", srv.ws_url, r["id"], "notes", owner.token)
    await node.call("type", client=f"{name}-code", text="print(42)\n")
    await node.call("type", client=f"{name}-notes", text="strong start")
    async with events(srv, r["id"], candidate.token) as ev:
        await ev.next("welcome")
        await ev.send({"type": "chat.send", "text": "hello from the candidate"})
        await ev.next("chat.message")
    with client(srv) as c:
        run = c.post(
            f"/api/rooms/{r['id']}/runs",
            headers=owner.headers,
            json={"language": "python", "code": "print(1)"},
        )
        assert run.status_code in (200, 201, 202), run.text
    await asyncio.sleep(0.5)  # the group commit writes the typing
    return str(r["id"])


async def _end(srv: Server, owner: Actor, room_id: str, *, days_ago: float) -> None:
    with client(srv) as c:
        assert c.post(f"/api/rooms/{room_id}/end", headers=owner.headers).status_code == 200
    ended = datetime.now(UTC) - timedelta(days=days_ago)
    await execute(srv, "UPDATE rooms SET ended_at = :t WHERE id = :id", t=ended, id=room_id)


def _set_retention(srv: Server, lead: Actor, days: int | None) -> dict[str, Any]:
    with client(srv) as c:
        r = c.put("/api/settings/retention", headers=lead.headers, json={"retention_days": days})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
    return body


def _assert_gone(rows: dict[str, int]) -> None:
    left = {t: n for t, n in rows.items() if n}
    assert not left, f"rows left behind: {left}"


def _assert_kept(rows: dict[str, int]) -> None:
    for table in ("rooms", "yjs_updates", "chat_messages", "runs", "invites"):
        assert rows[table] > 0, f"{table} lost rows of a room that is kept: {rows}"


async def test_purge_deletes_every_row_of_expired_interviews_only(
    server_factory: ServerFactory,
) -> None:
    srv = server_factory({"CODEPAIR_ROOM_UNLOAD_SECONDS": "0.2"})
    lead = bootstrap_lead(srv)
    node = await NodeClients.start()
    try:
        old = await _fill(srv, lead, node, "old", candidate_name="Old Candidate")
        recent = await _fill(srv, lead, node, "recent")
        live = await _fill(srv, lead, node, "live")
    finally:
        await node.close()
    await _end(srv, lead, old, days_ago=40)
    await _end(srv, lead, recent, days_ago=5)
    await execute(
        srv,
        "UPDATE rooms SET created_at = :t WHERE id = :id",
        t=datetime.now(UTC) - timedelta(days=400),
        id=live,
    )
    before = await room_rows(srv, old)
    _assert_kept(before)
    assert before["yjs_updates"] >= 10

    # Retention off (the default): nothing goes.
    assert "would delete 0" in srv.cli("purge", "--dry-run").stdout
    _set_retention(srv, lead, 30)

    dry = srv.cli("purge", "--dry-run").stdout
    assert "would delete 1 ended interview(s) older than 30 days" in dry
    assert old in dry and recent not in dry and live not in dry
    assert f"yjs_updates: {before['yjs_updates']} row(s)" in dry
    assert await room_rows(srv, old) == before  # a dry run deletes nothing

    done = srv.cli("purge").stdout
    assert "deleted 1 ended interview(s)" in done
    _assert_gone(await room_rows(srv, old))
    _assert_kept(await room_rows(srv, recent))
    _assert_kept(await room_rows(srv, live))
    assert "deleted 0" in srv.cli("purge").stdout  # nothing more to do

    with client(srv) as c:
        assert c.get(f"/api/rooms/{old}", headers=lead.headers).status_code == 404
        log = c.get("/api/audit", headers=lead.headers, params={"action": "retention.purged"})
    (entry,) = log.json()["items"]
    assert entry["detail"]["room_ids"] == [old] and entry["actor"] is None
    assert "Old Candidate" not in json.dumps(log.json())


async def test_the_server_purges_by_itself(server_factory: ServerFactory) -> None:
    srv = server_factory({"CODEPAIR_RETENTION_DAYS": "1", "CODEPAIR_PURGE_INTERVAL_SECONDS": "0.5"})
    lead = bootstrap_lead(srv)
    kept = create_room(srv, lead)["id"]
    node = await NodeClients.start()
    try:
        old = await _fill(srv, lead, node, "old")
    finally:
        await node.close()
    await _end(srv, lead, old, days_ago=2)
    await _end(srv, lead, kept, days_ago=0.5)
    # An audit row past CODEPAIR_AUDIT_RETENTION_DAYS (730) goes too; inserting is allowed.
    await execute(
        srv,
        "INSERT INTO audit_events (at, action) VALUES (:t, 'ancient.event')",
        t=datetime.now(UTC) - timedelta(days=800),
    )
    for _ in range(100):
        rows = await room_rows(srv, old)
        ancient = await scalar(
            srv, "SELECT count(*) FROM audit_events WHERE action = 'ancient.event'"
        )
        if rows["rooms"] == 0 and ancient == 0:
            break
        await asyncio.sleep(0.2)
    _assert_gone(await room_rows(srv, old))
    assert ancient == 0
    assert (await room_rows(srv, kept))["rooms"] == 1


def test_retention_setting_is_for_leads(server_factory: ServerFactory) -> None:
    srv = server_factory({"CODEPAIR_RETENTION_DAYS": "90"})
    lead = bootstrap_lead(srv)
    ivy = create_user(srv, lead)
    candidate = join(srv, create_room(srv, ivy))
    with client(srv) as c:
        got = c.get("/api/settings/retention", headers=lead.headers).json()
        assert got == {
            "retention_days": 90,
            "default_days": 90,
            "source": "config",
            "audit_retention_days": 730,
        }
        for who in (ivy, candidate):
            assert c.get("/api/settings/retention", headers=who.headers).status_code == 403
            r = c.put("/api/settings/retention", headers=who.headers, json={"retention_days": 1})
            assert r.status_code == 403
        assert c.get("/api/settings/retention").status_code == 401
        assert c.put("/api/settings/retention", json={"retention_days": 1}).status_code == 401
        for bad in (-1, 36501, "soon", 1.5):
            r = c.put("/api/settings/retention", headers=lead.headers, json={"retention_days": bad})
            assert r.status_code == 422, bad
    assert _set_retention(srv, lead, 14)["source"] == "org"
    assert _set_retention(srv, lead, 0)["retention_days"] == 0  # kept for ever
    back = _set_retention(srv, lead, None)
    assert back["retention_days"] == 90 and back["source"] == "config"
    with client(srv) as c:
        log = c.get("/api/audit", headers=lead.headers, params={"action": "settings.updated"})
    changes = [(e["detail"]["from"], e["detail"]["to"]) for e in reversed(log.json()["items"])]
    assert changes == [(90, 14), (14, 0), (0, 90)]


async def test_a_lead_erases_one_candidate_at_once(server_factory: ServerFactory) -> None:
    srv = server_factory()
    lead = bootstrap_lead(srv)
    ivy = create_user(srv, lead)
    node = await NodeClients.start()
    try:
        first = await _fill(srv, ivy, node, "first", candidate_name="Ada Lovelace")
        other = await _fill(srv, ivy, node, "other", candidate_name="Alan Turing")
    finally:
        await node.close()
    await _end(srv, ivy, first, days_ago=0)
    live = create_room(srv, lead, candidate_name="ada lovelace")
    candidate = join(srv, live)
    body = {"candidate_name": "ADA LOVELACE"}
    with client(srv) as c:
        for who in (ivy, candidate):
            r = c.post("/api/candidates/erase", headers=who.headers, json=body)
            assert r.status_code == 403
        assert c.post("/api/candidates/erase", json=body).status_code == 401
        assert c.post("/api/candidates/erase", headers=lead.headers, json={}).status_code == 422
        too_long = {"candidate_name": "x" * 101}
        r = c.post("/api/candidates/erase", headers=lead.headers, json=too_long)
        assert r.status_code == 422

        dry = c.post("/api/candidates/erase", headers=lead.headers, json={**body, "dry_run": True})
        assert dry.status_code == 200
        assert {r["id"] for r in dry.json()["rooms"]} == {first, live["id"]}
        assert dry.json()["erased"] is False and dry.json()["rows"]["yjs_updates"] > 0
        assert (await room_rows(srv, first))["rooms"] == 1

        done = c.post("/api/candidates/erase", headers=lead.headers, json=body)
        assert done.status_code == 200 and done.json()["erased"] is True
        _assert_gone(await room_rows(srv, first))
        _assert_gone(await room_rows(srv, live["id"]))
        _assert_kept(await room_rows(srv, other))
        # The candidate's token opened a room that no longer exists.
        r = c.get(f"/api/rooms/{live['id']}/messages", headers=candidate.headers)
        assert r.status_code in (401, 403, 404)
        log = c.get("/api/audit", headers=lead.headers).json()
    erased = [e for e in log["items"] if e["action"] == "candidate.erased"]
    assert len(erased) == 1 and erased[0]["detail"]["rooms"] == 2
    assert "lovelace" not in json.dumps(log).lower()

    # By email: the rooms that carry it, whatever name they were given.
    mailed = create_room(srv, ivy, candidate_name="G. Hopper", candidate_email="grace@example.com")
    with client(srv) as c:
        body = {"candidate_email": "Grace@Example.com"}
        r = c.post("/api/candidates/erase", headers=lead.headers, json=body)
        assert r.status_code == 200 and [x["id"] for x in r.json()["rooms"]] == [mailed["id"]]
    _assert_gone(await room_rows(srv, mailed["id"]))
    _assert_kept(await room_rows(srv, other))


async def test_deleting_a_room_deletes_everything_of_it(server_factory: ServerFactory) -> None:
    srv = server_factory()
    lead = bootstrap_lead(srv)
    node = await NodeClients.start()
    try:
        room_id = await _fill(srv, lead, node, "r")
        await node.call("disconnect", client="r-code")
        await node.call("disconnect", client="r-notes")
    finally:
        await node.close()
    _assert_kept(await room_rows(srv, room_id))
    with client(srv) as c:
        assert c.delete(f"/api/rooms/{room_id}", headers=lead.headers).status_code == 204
    await asyncio.sleep(0.3)  # a straggling group commit must not bring rows back
    _assert_gone(await room_rows(srv, room_id))


async def test_erasing_a_room_someone_is_typing_in(server_factory: ServerFactory) -> None:
    """An interviewer's socket stays open on an erased room: what it types there fails one
    group commit, after which the hub drops the room and closes its sockets; the room's rows
    do not come back, and the other rooms' writes go on."""
    srv = server_factory()
    lead = bootstrap_lead(srv)
    doomed = create_room(srv, lead, candidate_name="Typing Candidate")
    other = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("doomed", srv.ws_url, doomed["id"], "code", lead.token)
        await node.connect("other", srv.ws_url, other["id"], "code", lead.token)
        await node.call("type", client="doomed", text="before\n")
        await asyncio.sleep(0.3)
        with client(srv) as c:
            body = {"candidate_name": "typing candidate"}
            r = c.post("/api/candidates/erase", headers=lead.headers, json=body)
            assert r.status_code == 200 and r.json()["erased"] is True
        await node.call("type", client="doomed", text="after the erasure\n", delay=5)
        await asyncio.sleep(0.3)
        await node.call("type", client="other", text="still here\n")
        for _ in range(50):  # the typing in the deleted room makes one group commit fail
            if node.closes("doomed"):
                break
            await asyncio.sleep(0.1)
        assert node.closes("doomed"), "the deleted room's sockets close"
        await asyncio.sleep(1.5)
        _assert_gone(await room_rows(srv, doomed["id"]))
    finally:
        await node.close()
    # The other room's typing reached the database: it survives a restart.
    srv.restart()
    assert await _fresh_text(srv, other["id"], lead.token) == "still here\n"
    assert srv.log_path.read_text().count("group_commit_failed") <= 3


async def _fresh_text(srv: Server, room_id: str, token: str) -> str:
    reader = await NodeClients.start()
    try:
        assert (await reader.connect("r", srv.ws_url, room_id, "code", token))["synced"]
        return await reader.text("r")
    finally:
        await reader.close()


async def test_purge_takes_more_rooms_than_one_batch(server_factory: ServerFactory) -> None:
    srv = server_factory({"CODEPAIR_RETENTION_DAYS": "10"})
    lead = bootstrap_lead(srv)
    ids = [create_room(srv, lead)["id"] for _ in range(PURGE_BATCH + 5)]
    for room_id in ids:
        await _end(srv, lead, room_id, days_ago=11)
    dry = srv.cli("purge", "--dry-run").stdout
    assert f"would delete {len(ids)} ended interview(s)" in dry
    assert f"deleted {len(ids)} ended interview(s)" in srv.cli("purge").stdout
    for room_id in ids:
        _assert_gone(await room_rows(srv, room_id))
