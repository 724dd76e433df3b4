"""The hot REST reads (ADR 8): the room list and search, a room, chat history and runs, read
with one prebuilt query each and the principal check in the same read. Their answers and
refusals are the ORM path's: these tests pin what a rewrite must keep."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from codepair.api.schemas.interviews import RoomList
from codepair.security.tokens import (
    InvalidToken,
    VerifiedTokens,
    issue_access_token,
)
from tests.conftest import ServerFactory
from tests.opsdata import rows
from tests.questions.qsupport import ECHO_UPPER, SENTINELS, secret_question
from tests.runner.runner_support import require_bwrap
from tests.support.api import (
    Actor,
    bootstrap_lead,
    client,
    create_room,
    create_user,
    join,
    login,
)
from tests.support.server import Server

TOOLCHAINS = str(Path(__file__).resolve().parents[1] / "data" / "toolchains")


def _get(server: Server, actor: Actor | None, path: str) -> Any:
    with client(server) as c:
        return c.get(path, headers=actor.headers if actor else {})


def test_room_list_shows_people_invite_and_total(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead, name="Owen List")
    co1 = create_user(server, lead, name="Cora One")
    co2 = create_user(server, lead, name="Cato Two")
    room = create_room(server, owner, candidate_name="Lister Person", title="List round")
    with client(server) as c:
        for co in (co2, co1):
            r = c.post(
                f"/api/rooms/{room['id']}/interviewers",
                headers=owner.headers,
                json={"user_id": co.user_id},
            )
            assert r.status_code == 201, r.text
    listing = _get(server, co1, "/api/rooms?q=lister")
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["id"] == room["id"]
    assert item["my_role"] == "co"
    assert item["owner"] == {"id": owner.user_id, "name": "Owen List", "email": owner.email}
    ids = sorted([co1.user_id, co2.user_id])  # type: ignore[type-var]
    assert [p["id"] for p in item["interviewers"]] == ids
    assert {p["name"] for p in item["interviewers"]} == {"Cora One", "Cato Two"}
    assert item["invite_token"] == room["invite_token"]
    assert item["invite_url"].endswith(f"/join/{room['invite_token']}")
    assert item["status"] == "live"
    # The room's own page answers the same fields.
    one = _get(server, co1, f"/api/rooms/{room['id']}").json()
    assert one == item
    assert _get(server, owner, f"/api/rooms/{room['id']}").json()["my_role"] == "owner"
    assert _get(server, lead, f"/api/rooms/{room['id']}").json()["my_role"] == "lead"


def test_room_list_visibility_paging_and_search(server: Server, lead: Actor) -> None:
    alice = create_user(server, lead, name="Alice Pager")
    bob = create_user(server, lead, name="Bob Other")
    mine = [create_room(server, alice, candidate_name=f"Pager {i}") for i in range(5)]
    create_room(server, bob, candidate_name="Pager hidden")
    create_room(server, alice, candidate_name="100%_literal")
    page = _get(server, alice, "/api/rooms?limit=2&offset=0").json()
    assert page["total"] == 6 and len(page["items"]) == 2
    # Newest first.
    assert page["items"][1]["id"] == mine[-1]["id"]
    past = _get(server, alice, "/api/rooms?limit=2&offset=50").json()
    assert past == {"items": [], "total": 6}
    assert _get(server, alice, "/api/rooms?q=pager").json()["total"] == 5
    assert _get(server, alice, "/api/rooms?q=PAGER%203").json()["total"] == 1
    # % and _ are matched literally.
    assert _get(server, alice, "/api/rooms?q=0%25_").json()["total"] == 1
    assert _get(server, alice, "/api/rooms?q=%25").json()["total"] == 1
    assert _get(server, bob, "/api/rooms?q=pager").json()["total"] == 1
    assert _get(server, alice, "/api/rooms?status=ended").json()["total"] == 0
    with client(server) as c:
        c.post(f"/api/rooms/{mine[0]['id']}/end", headers=alice.headers).raise_for_status()
    ended = _get(server, alice, "/api/rooms?status=ended").json()
    assert [r["id"] for r in ended["items"]] == [mine[0]["id"]]
    assert ended["items"][0]["invite_token"] is None
    assert ended["items"][0]["invite_url"] is None
    assert _get(server, alice, "/api/rooms?status=live").json()["total"] == 5
    stranger = _get(server, bob, f"/api/rooms/{mine[1]['id']}")
    assert stranger.status_code == 404


def test_room_list_is_room_lists_json(server: Server, lead: Actor) -> None:
    """The list is written from the read's dicts without the model (ADR 8): its bytes must
    be what FastAPI wrote from ``RoomList``, every field of every kind of room included."""
    co = create_user(server, lead, name="Co Bytes")
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    scheduled = create_room(
        server,
        lead,
        candidate_name="Sched Bytes",
        scheduled_at=later,
        candidate_email="sched@example.com",
        candidate_timezone="Europe/Paris",
    )
    started = create_room(server, lead, candidate_name="Started Bytes")
    join(server, started)
    ended = create_room(server, lead, candidate_name="Ended Bytes")
    with client(server) as c:
        c.post(f"/api/rooms/{ended['id']}/end", headers=lead.headers).raise_for_status()
        c.post(
            f"/api/rooms/{scheduled['id']}/interviewers",
            headers=lead.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
    listing = _get(server, lead, "/api/rooms?q=bytes")
    assert listing.status_code == 200
    assert listing.headers["content-type"] == "application/json"
    as_model = RoomList.model_validate_json(listing.content)
    assert listing.content == as_model.model_dump_json().encode()
    items = {r["id"]: r for r in listing.json()["items"]}
    assert [items[r["id"]]["status"] for r in (scheduled, started, ended)] == [
        "scheduled",
        "live",
        "ended",
    ]
    assert items[started["id"]]["started_at"] is not None
    assert items[scheduled["id"]]["candidate_timezone"] == "Europe/Paris"
    assert items[scheduled["id"]]["interviewers"][0]["name"] == "Co Bytes"
    for room in (scheduled, started, ended):  # the room's own page, through RoomOut
        assert _get(server, lead, f"/api/rooms/{room['id']}").json() == items[room["id"]]


def test_candidate_reads_only_its_room(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, candidate_name="Cand Reader")
    other = create_room(server, lead, candidate_name="Someone Else")
    cand = join(server, room)
    view = _get(server, cand, f"/api/rooms/{room['id']}")
    assert view.status_code == 200
    assert set(view.json()) == {
        "id",
        "title",
        "candidate_name",
        "language",
        "status",
        "scheduled_at",
        "duration_minutes",
        "runs_enabled",
        "started_at",
        "kind",
        "autocomplete",
        "ai_assistant",  # the candidate is told when the assistant is on (docs/ai.md)
    }
    assert view.json()["started_at"] is not None  # the join started the interview
    assert _get(server, cand, f"/api/rooms/{other['id']}").status_code == 404
    assert _get(server, cand, "/api/rooms").status_code == 403
    assert _get(server, cand, f"/api/rooms/{room['id']}/messages").status_code == 200
    assert _get(server, cand, f"/api/rooms/{other['id']}/messages").status_code == 404
    assert _get(server, cand, f"/api/rooms/{room['id']}/runs").status_code == 200
    assert _get(server, cand, f"/api/rooms/{other['id']}/runs").status_code == 404
    with client(server) as c:
        c.post(f"/api/rooms/{room['id']}/end", headers=lead.headers).raise_for_status()
    # The same token, checked against the database on every request: the room has ended.
    for path in (f"/api/rooms/{room['id']}", f"/api/rooms/{room['id']}/messages", "/api/rooms"):
        assert _get(server, cand, path).status_code == 401, path


def test_a_second_join_keeps_the_start(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, candidate_name="Twice Joined")
    join(server, room)
    first = _get(server, lead, f"/api/rooms/{room['id']}").json()["started_at"]
    time.sleep(0.01)
    join(server, room, name="Again")
    assert _get(server, lead, f"/api/rooms/{room['id']}").json()["started_at"] == first


def test_every_request_asks_the_database(server: Server, lead: Actor) -> None:
    """A token verified once is not trusted after logout or deactivation."""
    user = create_user(server, lead, name="Short Lived")
    session = login(server, user.email or "")
    assert _get(server, session, "/api/rooms").status_code == 200
    with client(server) as c:
        r = c.post("/api/auth/logout", json={"refresh_token": session.refresh_token})
        assert r.status_code in (200, 204)
    for path in ("/api/rooms", "/api/me"):
        assert _get(server, session, path).status_code == 401, path
    fresh = login(server, user.email or "")
    assert _get(server, fresh, "/api/rooms").status_code == 200
    with client(server) as c:
        r = c.patch(f"/api/users/{user.user_id}", headers=lead.headers, json={"is_active": False})
        assert r.status_code == 200
    assert _get(server, fresh, "/api/rooms").status_code == 401
    assert _get(server, None, "/api/rooms").status_code == 401
    bad = Actor(name="x", token=fresh.token[:-2] + "xx", role="interviewer")
    assert _get(server, bad, "/api/rooms").status_code == 401


def test_room_list_follows_a_role_changed_since_the_token(server: Server, lead: Actor) -> None:
    """The list's statement carries the principal check (ADR 8); the role the database has
    decides what it shows, not the one the token was issued with."""
    other = create_user(server, lead, role="lead", name="Role Changer")
    session = login(server, other.email or "")
    theirs = create_room(server, session, candidate_name="Role Own")
    elsewhere = create_room(server, lead, candidate_name="Role Elsewhere")
    ids = {r["id"] for r in _get(server, session, "/api/rooms?q=role&limit=100").json()["items"]}
    assert ids == {theirs["id"], elsewhere["id"]}
    demote = {"role": "interviewer"}
    with client(server) as c:
        r = c.patch(f"/api/users/{other.user_id}", headers=lead.headers, json=demote)
        assert r.status_code == 200, r.text
    listing = _get(server, session, "/api/rooms?q=role&limit=100").json()  # same token
    assert [r["id"] for r in listing["items"]] == [theirs["id"]]
    assert listing["total"] == 1 and listing["items"][0]["my_role"] == "owner"
    assert _get(server, session, "/api/rooms?q=role&offset=5").json() == {"items": [], "total": 1}
    with client(server) as c:
        r = c.patch(f"/api/users/{other.user_id}", headers=lead.headers, json={"role": "lead"})
        assert r.status_code == 200, r.text
        r = c.patch(f"/api/users/{other.user_id}", headers=lead.headers, json={"is_active": False})
        assert r.status_code == 200, r.text
    assert _get(server, session, "/api/rooms?q=nothing-matches").status_code == 401


def test_chat_history_pages(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, candidate_name="Chatty")
    history = _get(server, lead, f"/api/rooms/{room['id']}/messages")
    assert history.status_code == 200 and history.json() == {"items": []}
    stranger = create_user(server, lead, name="Chat Stranger")
    assert _get(server, stranger, f"/api/rooms/{room['id']}/messages").status_code == 404
    assert _get(server, None, f"/api/rooms/{room['id']}/messages").status_code == 401
    r = _get(server, lead, f"/api/rooms/{room['id']}/messages?before_id=5&limit=10")
    assert r.status_code == 200 and r.json() == {"items": []}


KEY = "k" * 48


def test_verified_tokens_keep_expiry_and_refuse_forgeries() -> None:
    cache = VerifiedTokens(size=2)
    token = issue_access_token(
        KEY, user_id=1, session_id="s", role="lead", name="L", ttl=timedelta(seconds=1)
    )
    assert cache.decode(KEY, token).user_id == 1
    assert cache.decode(KEY, token).user_id == 1  # from the cache
    with pytest.raises(InvalidToken):
        cache.decode("other-key-" * 5, token)  # the key is part of what was verified
    time.sleep(1.1)
    with pytest.raises(InvalidToken):
        cache.decode(KEY, token)  # expired: verified again, and refused
    forged = jwt.encode({"typ": "access", "sub": "1"}, "n" * 48, algorithm="HS256")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            cache.decode(KEY, forged)
    for i in range(5):  # bounded
        t = issue_access_token(
            KEY, user_id=i, session_id="s", role="lead", name="L", ttl=timedelta(minutes=5)
        )
        assert cache.decode(KEY, t).user_id == i
    assert len(cache._seen) == 2


def test_runs_list_answers_what_was_created(server_factory: ServerFactory) -> None:
    """The runs list (one prebuilt read, ADR 8) answers each run as its creator was answered,
    newest first, a tests run with its results; a candidate sees a hidden test's name and
    outcome only, in the list as in the single read; strangers and other rooms get 404."""
    require_bwrap()
    srv = server_factory({"CODEPAIR_RUNNER_TOOLCHAINS_DIR": TOOLCHAINS})
    boss = bootstrap_lead(srv)
    room = create_room(srv, boss, candidate_name="Run Lister")
    with client(srv) as c:
        r = c.post("/api/questions", headers=boss.headers, json=secret_question())
        assert r.status_code == 201, r.text
        r = c.post(
            f"/api/rooms/{room['id']}/questions",
            headers=boss.headers,
            json={"question_id": r.json()["id"]},
        )
        assert r.status_code == 201, r.text
        c.post(
            f"/api/rooms/{room['id']}/questions/{r.json()['id']}/present",
            headers=boss.headers,
            json={"replace_code": True},
        ).raise_for_status()
    cand = join(srv, room)
    created = []
    with client(srv) as c:
        for actor, body in (
            (boss, {"code": "print('plain', input())", "stdin": "in\n", "language": "python"}),
            (cand, {"code": ECHO_UPPER, "tests": True}),
            (boss, {"code": "import sys; sys.exit(3)", "language": "python"}),
        ):
            r = c.post(f"/api/rooms/{room['id']}/runs", headers=actor.headers, json=body)
            assert r.status_code == 201, r.text
            assert r.json()["status"] not in ("queued", "running"), r.json()
            created.append(r.json())
    plain, tested, failed = created
    assert tested["total"] == 3 and failed["exit_code"] == 3
    hidden_full = _get(srv, boss, f"/api/rooms/{room['id']}/runs/{tested['id']}").json()
    listed = _get(srv, boss, f"/api/rooms/{room['id']}/runs").json()["items"]
    assert listed == [failed, hidden_full, plain]
    assert hidden_full["tests"][2]["stdin"].startswith("sentinel-hidden-stdin")
    assert {k: v for k, v in hidden_full.items() if k != "tests"} == {
        k: v for k, v in tested.items() if k != "tests"
    }
    # The candidate: its own answer (the reduced view), in the list and the single read.
    mine = _get(srv, cand, f"/api/rooms/{room['id']}/runs")
    assert mine.json()["items"][1] == tested
    assert tested["tests"][2] == {"name": "secret", "hidden": True, "passed": True}
    assert _get(srv, cand, f"/api/rooms/{room['id']}/runs/{tested['id']}").json() == tested
    for sentinel in SENTINELS:
        assert sentinel not in mine.text
    # Paging, newest first.
    page = _get(srv, boss, f"/api/rooms/{room['id']}/runs?limit=1&offset=1").json()
    assert page == {"items": [hidden_full]}
    assert _get(srv, boss, f"/api/rooms/{room['id']}/runs?offset=9").json() == {"items": []}
    # Refusals stay as they were.
    stranger = create_user(srv, boss, name="Run Stranger")
    other = create_room(srv, boss, candidate_name="Other Runs")
    path = f"/api/rooms/{room['id']}/runs"
    assert _get(srv, stranger, path).status_code == 404
    assert _get(srv, None, path).status_code == 401
    assert _get(srv, cand, f"/api/rooms/{other['id']}/runs").status_code == 404
    assert _get(srv, boss, "/api/rooms/nope/runs").status_code == 404
    assert _get(srv, boss, f"{path}?limit=0").status_code == 422
    assert _get(srv, boss, f"/api/rooms/{other['id']}/runs/{plain['id']}").status_code == 404
    # A run a dead server left running reads as interrupted once no server can be on it
    # (the rare write behind the read).
    asyncio.run(
        rows.execute(
            srv,
            "INSERT INTO runs (id, room_id, author_name, author_role, language, code, stdin,"
            " status, stdout, stderr, compile_output, truncated, created_at)"
            " VALUES ('stalerun', :room, 'Gone', 'lead', 'python', 'x', '', 'running', '',"
            " '', '', false, :at)",
            room=room["id"],
            at=datetime(2000, 1, 1, tzinfo=UTC),
        )
    )
    oldest = _get(srv, boss, f"{path}?offset=3").json()["items"]
    assert [r["id"] for r in oldest] == ["stalerun"]
    assert oldest[0]["status"] == "internal_error" and "interrupted" in oldest[0]["stderr"]
    assert _get(srv, cand, f"{path}/stalerun").json() == oldest[0]
