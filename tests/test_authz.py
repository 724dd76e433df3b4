"""Who may do what: every REST endpoint against every kind of caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.api import Actor, client, create_room, create_user, join, keep_fresh, login
from tests.support.server import Server

ANON, CANDIDATE, STRANGER, CO, OWNER, LEAD, DEACTIVATED = (
    "anonymous",
    "candidate",
    "stranger",
    "co",
    "owner",
    "lead",
    "deactivated",
)
CALLERS = [ANON, CANDIDATE, STRANGER, CO, OWNER, LEAD, DEACTIVATED]


@dataclass
class World:
    server: Server
    actors: dict[str, Actor | None]
    room: dict[str, Any]
    other_room: dict[str, Any]
    target_user: Actor


@pytest.fixture(scope="module")
def world(server: Server, shared_lead: Actor) -> World:
    lead = keep_fresh(server, shared_lead)
    owner = create_user(server, lead, name="Olga Owner")
    co = create_user(server, lead, name="Cole Co")
    stranger = create_user(server, lead, name="Stan Stranger")
    gone = create_user(server, lead, name="Dee Deactivated")
    target = create_user(server, lead, name="Tara Target")
    room = create_room(server, owner)
    other_room = create_room(server, stranger)
    with client(server) as c:
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": gone.user_id},
        ).raise_for_status()
        c.patch(
            f"/api/users/{gone.user_id}", headers=lead.headers, json={"is_active": False}
        ).raise_for_status()
    candidate = join(server, room)
    return World(
        server=server,
        actors={
            ANON: None,
            CANDIDATE: candidate,
            STRANGER: stranger,
            CO: co,
            OWNER: owner,
            LEAD: lead,
            DEACTIVATED: gone,
        },
        room=room,
        other_room=other_room,
        target_user=target,
    )


def _expect(ok: int, allowed: set[str], *, hidden: bool = False) -> dict[str, int]:
    """``ok`` for allowed callers; 401 for no/dead token; 404 where the room is hidden from
    the caller (``hidden``), else 403."""
    result = {}
    for who in CALLERS:
        if who in (ANON, DEACTIVATED):
            result[who] = 401
        elif who in allowed:
            result[who] = ok
        elif hidden and who != CANDIDATE:
            result[who] = 404
        else:
            result[who] = 403
    return result


INTERVIEWERS = {CO, OWNER, LEAD}
ALL_USERS = {STRANGER, CO, OWNER, LEAD}

# (method, path template, body, expected status per caller)
CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/api/me", None, _expect(200, ALL_USERS)),
    # Each caller "renames" itself to its own name: the shared lead must keep its name.
    ("PATCH", "/api/me", "OWN_NAME", _expect(200, ALL_USERS)),
    ("GET", "/api/users", None, _expect(200, {LEAD})),
    ("POST", "/api/users", "NEW_USER", _expect(201, {LEAD})),
    ("PATCH", "/api/users/{target}", {"name": "Renamed"}, _expect(200, {LEAD})),
    ("GET", "/api/directory", None, _expect(200, ALL_USERS)),
    ("GET", "/api/rooms", None, _expect(200, ALL_USERS)),
    ("POST", "/api/rooms", {"candidate_name": "X"}, _expect(201, ALL_USERS)),
    ("GET", "/api/rooms/{room}", None, {**_expect(200, INTERVIEWERS | {CANDIDATE}, hidden=True)}),
    ("PATCH", "/api/rooms/{room}", {"title": "T"}, _expect(200, INTERVIEWERS, hidden=True)),
    ("POST", "/api/rooms/{room}/invite", None, _expect(200, INTERVIEWERS, hidden=True)),
    (
        "POST",
        "/api/rooms/{room}/interviewers",
        "ADD_TARGET",
        {**_expect(201, {OWNER, LEAD}, hidden=True), CO: 403},
    ),
    (
        "GET",
        "/api/rooms/{other}",
        None,
        {**_expect(200, {LEAD, STRANGER}, hidden=True), CANDIDATE: 404},
    ),
    ("POST", "/api/rooms/{room}/end", None, _expect(200, INTERVIEWERS, hidden=True)),
    ("DELETE", "/api/rooms/{room}", None, _expect(204, INTERVIEWERS, hidden=True)),
    ("DELETE", "/api/users/{target}", None, _expect(204, {LEAD})),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES]
)
def test_matrix(world: World, method: str, path: str, body: Any, expected: dict[str, int]) -> None:
    got: dict[str, int] = {}
    for who in CALLERS:
        # Each caller acts on a fresh room and user, so one caller's success (a delete, an
        # end, an invite rotation) cannot change what the next one sees.
        mutates = method != "GET"
        room_id = world.room["id"]
        if mutates and "{room}" in path and who != CANDIDATE:
            room_id = _fresh_room(world)["id"]
        target = world.target_user
        if mutates and (who == LEAD or "{target}" in path or body == "ADD_TARGET"):
            target = create_user(world.server, world.actors[LEAD])  # type: ignore[arg-type]
        actor = world.actors[who]
        url = path.format(room=room_id, other=world.other_room["id"], target=target.user_id)
        payload = body
        if body == "NEW_USER":
            payload = {
                "email": f"new-{who}-{target.user_id}@example.com",
                "name": "N",
                "role": "interviewer",
                "password": "long-enough-pw",
            }
        elif body == "OWN_NAME":
            payload = {"name": actor.name if actor else "Nobody"}
        elif body == "ADD_TARGET":
            payload = {"user_id": target.user_id}
        headers = actor.headers if actor else {}
        with client(world.server) as c:
            r = c.request(method, url, headers=headers, json=payload)
        got[who] = r.status_code
        assert r.status_code == 204 or r.headers["content-type"].startswith("application/json")
    assert got == expected


def _fresh_room(world: World) -> dict[str, Any]:
    """A room owned by the world's owner with the world's co-interviewer in it."""
    owner = world.actors[OWNER]
    co = world.actors[CO]
    assert owner is not None and co is not None
    room = create_room(world.server, owner)
    with client(world.server) as c:
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
    return room


def test_candidate_is_confined_to_its_room(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    room_a = create_room(server, owner)
    room_b = create_room(server, owner)
    candidate = join(server, room_a)
    with client(server) as c:
        assert c.get(f"/api/rooms/{room_a['id']}", headers=candidate.headers).status_code == 200
        assert c.get(f"/api/rooms/{room_b['id']}", headers=candidate.headers).status_code == 404
        assert c.get("/api/rooms", headers=candidate.headers).status_code == 403
        assert c.get("/api/me", headers=candidate.headers).status_code == 403
        assert (
            c.post("/api/auth/refresh", json={"refresh_token": candidate.token}).status_code == 401
        )


def test_role_change_takes_effect_at_once(server: Server, lead: Actor) -> None:
    promoted = create_user(server, lead)
    with client(server) as c:
        assert c.get("/api/users", headers=promoted.headers).status_code == 403
        c.patch(
            f"/api/users/{promoted.user_id}", headers=lead.headers, json={"role": "lead"}
        ).raise_for_status()
        # The same access token now carries lead rights: the database, not the token, decides.
        assert c.get("/api/users", headers=promoted.headers).status_code == 200
        c.patch(
            f"/api/users/{promoted.user_id}", headers=lead.headers, json={"role": "interviewer"}
        ).raise_for_status()
        assert c.get("/api/users", headers=promoted.headers).status_code == 403
    again = login(server, promoted.email or "")
    assert again.role == "interviewer"
