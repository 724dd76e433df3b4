"""The audit log: what is recorded, who may read it, filters, and that rows cannot change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from tests.opsdata.rows import execute, scalar
from tests.support.api import (
    PASSWORD,
    Actor,
    bootstrap_lead,
    client,
    create_room,
    create_user,
    join,
)
from tests.support.server import Server


def _audit(server: Server, lead: Actor, **params: Any) -> dict[str, Any]:
    with client(server) as c:
        r = c.get("/api/audit", headers=lead.headers, params=params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
    return body


def test_sign_ins_and_failed_sign_ins_are_recorded(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead)
    with client(server) as c:
        bad = c.post("/api/auth/login", json={"email": ivy.email, "password": "not-her-password"})
        assert bad.status_code == 401
    failed = _audit(server, lead, action="auth.login_failed", limit=200)["items"]
    mine = [e for e in failed if e["target"] == ivy.email]
    assert len(mine) == 1
    assert mine[0]["actor"] is None and mine[0]["ip"] == "127.0.0.1"
    ok = _audit(server, lead, action="auth.login", actor=str(ivy.user_id))["items"]
    assert len(ok) == 1  # create_user signs her in once
    assert ok[0]["actor"] == {"user_id": ivy.user_id, "name": ivy.name, "role": "interviewer"}
    assert ok[0]["ip"] == "127.0.0.1"


def test_user_changes_are_recorded_with_who_and_what(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead, name="Ivy Audited")
    with client(server) as c:
        r = c.patch(f"/api/users/{ivy.user_id}", headers=lead.headers, json={"role": "lead"})
        assert r.status_code == 200
        r = c.patch(f"/api/users/{ivy.user_id}", headers=lead.headers, json={"is_active": False})
        assert r.status_code == 200
        assert c.delete(f"/api/users/{ivy.user_id}", headers=lead.headers).status_code == 204
    target = f"user:{ivy.user_id}"
    events = [e for e in _audit(server, lead, action="user.", limit=200)["items"]]
    mine = [e for e in events if e["target"] == target]
    assert [e["action"] for e in mine] == [
        "user.deleted",
        "user.updated",
        "user.updated",
        "user.created",
    ]
    assert all(e["actor"]["user_id"] == lead.user_id for e in mine)
    assert mine[2]["detail"]["changes"] == {"role": {"from": "interviewer", "to": "lead"}}
    assert mine[1]["detail"]["changes"] == {"is_active": {"from": True, "to": False}}
    assert mine[0]["detail"]["email"] == ivy.email
    # The deleted user's sign-in is still in the log, under the name she had.
    assert _audit(server, lead, actor="Ivy Audited", action="auth.login")["total"] == 1


def test_a_password_change_is_recorded(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead)
    with client(server) as c:
        r = c.post(
            "/api/me/password",
            headers=ivy.headers,
            json={"current_password": PASSWORD, "new_password": "another-long-password"},
        )
        assert r.status_code == 204, r.text
    (event,) = _audit(server, lead, action="user.password_changed", actor=str(ivy.user_id))["items"]
    assert event["target"] == f"user:{ivy.user_id}" and event["ip"] == "127.0.0.1"
    assert "another-long-password" not in str(event)


def test_room_lifecycle_is_recorded_without_the_candidate_name(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead)
    room = create_room(server, ivy, candidate_name="Grace Hopperish")
    with client(server) as c:
        assert c.post(f"/api/rooms/{room['id']}/invite", headers=ivy.headers).status_code == 200
        assert c.post(f"/api/rooms/{room['id']}/end", headers=ivy.headers).status_code == 200
        assert c.delete(f"/api/rooms/{room['id']}", headers=ivy.headers).status_code == 204
    body = _audit(server, lead, room=room["id"])
    assert body["total"] == 4
    assert [e["action"] for e in body["items"]] == [
        "room.deleted",
        "room.ended",
        "invite.rotated",
        "room.created",
    ]
    for e in body["items"]:
        assert e["actor"]["user_id"] == ivy.user_id and e["ip"] == "127.0.0.1"
        assert e["room_id"] == room["id"]
    assert "Grace" not in str(body)


def test_filters_by_time_and_pages(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead)
    before = datetime.now(UTC) - timedelta(seconds=1)
    rooms = [create_room(server, ivy) for _ in range(3)]
    mine = _audit(server, lead, actor=str(ivy.user_id), action="room.created")
    assert mine["total"] == 3
    assert [e["room_id"] for e in mine["items"]] == [r["id"] for r in reversed(rooms)]
    page = _audit(server, lead, actor=str(ivy.user_id), action="room.created", limit=1, offset=1)
    assert page["total"] == 3 and [e["room_id"] for e in page["items"]] == [rooms[1]["id"]]
    since = _audit(server, lead, actor=str(ivy.user_id), since=before.isoformat())
    assert since["total"] == 4  # her sign-in and the three rooms
    until = _audit(server, lead, actor=str(ivy.user_id), until=before.isoformat())
    assert until["total"] == 0


def test_only_leads_read_the_log(server: Server, lead: Actor) -> None:
    ivy = create_user(server, lead)
    room = create_room(server, ivy)
    candidate = join(server, room)
    with client(server) as c:
        assert c.get("/api/audit").status_code == 401
        assert c.get("/api/audit", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        assert c.get("/api/audit", headers=ivy.headers).status_code == 403
        assert c.get("/api/audit", headers=candidate.headers).status_code == 403
        for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"action": "x" * 41}):
            r = c.get("/api/audit", headers=lead.headers, params=params)
            assert r.status_code == 422, params
        r = c.get("/api/audit", headers=lead.headers, params={"since": "soon"})
        assert r.status_code == 422


async def test_the_database_refuses_to_change_or_delete_audit_rows(
    server: Server, lead: Actor
) -> None:
    count = await scalar(server, "SELECT count(*) FROM audit_events")
    assert count > 0
    for sql in (
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await execute(server, sql)
    assert await scalar(server, "SELECT count(*) FROM audit_events") >= count
    assert await scalar(server, "SELECT count(*) FROM audit_events WHERE action = 'forged'") == 0


def test_failed_sign_ins_are_rate_limited_not_flooding_the_log(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_LOGIN_PER_MINUTE_PER_IP": "4"})
    lead = bootstrap_lead(srv)  # the first of the four sign-ins a minute
    attempt = {"email": "mallory@example.com", "password": "guessing"}
    with httpx.Client(base_url=srv.url) as c:
        codes = [c.post("/api/auth/login", json=attempt).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert _audit(srv, lead, action="auth.login_failed")["total"] == 3
