"""The whole flow through the REST API: lead, interviewer, room, invite, candidate."""

from __future__ import annotations

from tests.support.api import Actor, client, create_room, create_user, join
from tests.support.server import Server


def test_lead_to_candidate(server: Server, lead: Actor) -> None:
    interviewer = create_user(server, lead, "interviewer", name="Ian Interviewer")
    room = create_room(server, interviewer, candidate_name="Ada", language="go")
    assert room["status"] == "live"
    assert room["owner"]["id"] == interviewer.user_id
    assert room["language"] == "go"
    assert len(room["invite_token"]) >= 22  # >= 128 bits, url-safe base64
    assert room["invite_url"] == f"{server.url}/join/{room['invite_token']}"

    with client(server) as c:
        invite = c.get(f"/api/join/{room['invite_token']}").json()
        assert invite == {"status": "open", "kind": "live", "ai_assistant": "off"}
        assert c.get("/api/join/not-a-real-invite").status_code == 404
    candidate = join(server, room, name="Ada L.")
    assert candidate.room_id == room["id"]
    with client(server) as c:
        seen = c.get(f"/api/rooms/{room['id']}", headers=candidate.headers)
        assert seen.status_code == 200
        assert "invite_token" not in seen.json()  # candidates never see the invite
        assert seen.json()["language"] == "go"

        ended = c.post(f"/api/rooms/{room['id']}/end", headers=interviewer.headers)
        assert ended.json()["status"] == "ended"
        assert ended.json()["invite_url"] is None
        # The candidate token dies with the room, and the link is refused from then on.
        assert c.get(f"/api/rooms/{room['id']}", headers=candidate.headers).status_code == 401
        again = c.post("/api/join", json={"invite_token": room["invite_token"]})
        assert again.status_code == 410
        assert again.json() == {"detail": "This interview has ended"}
        assert c.get(f"/api/join/{room['invite_token']}").status_code == 410


def test_listing_filters_and_search(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    future = "2099-01-01T10:00:00Z"
    a = create_room(server, owner, candidate_name="Grace Hopper", title="Compilers")
    b = create_room(server, owner, candidate_name="Alan Turing", scheduled_at=future)
    c_ = create_room(server, owner, candidate_name="Edsger", title="Graphs")
    with client(server) as c:
        c.post(f"/api/rooms/{c_['id']}/end", headers=owner.headers)
        listed = c.get("/api/rooms", headers=owner.headers).json()
        assert listed["total"] == 3
        assert [r["id"] for r in listed["items"]] == [c_["id"], b["id"], a["id"]]
        by_status = {
            s: [
                r["id"]
                for r in c.get(f"/api/rooms?status={s}", headers=owner.headers).json()["items"]
            ]
            for s in ("scheduled", "live", "ended")
        }
        assert by_status == {"scheduled": [b["id"]], "live": [a["id"]], "ended": [c_["id"]]}
        found = c.get("/api/rooms", params={"q": "GRACE"}, headers=owner.headers).json()
        assert [r["id"] for r in found["items"]] == [a["id"]]
        found = c.get("/api/rooms", params={"q": "graph"}, headers=owner.headers).json()
        assert [r["id"] for r in found["items"]] == [c_["id"]]
        # LIKE wildcards are matched literally.
        assert c.get("/api/rooms", params={"q": "%"}, headers=owner.headers).json()["total"] == 0
        page = c.get("/api/rooms", params={"limit": 2, "offset": 2}, headers=owner.headers).json()
        assert page["total"] == 3 and [r["id"] for r in page["items"]] == [a["id"]]


def test_co_interviewers_and_invite_rotation(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    co = create_user(server, lead)
    other = create_user(server, lead)
    room = create_room(server, owner)
    rid = room["id"]
    with client(server) as c:
        assert c.get(f"/api/rooms/{rid}", headers=co.headers).status_code == 404
        added = c.post(
            f"/api/rooms/{rid}/interviewers", headers=owner.headers, json={"user_id": co.user_id}
        )
        assert added.status_code == 201
        assert [p["id"] for p in added.json()["interviewers"]] == [co.user_id]
        assert c.get(f"/api/rooms/{rid}", headers=co.headers).json()["my_role"] == "co"
        assert rid in [r["id"] for r in c.get("/api/rooms", headers=co.headers).json()["items"]]
        # A co-interviewer may not change who interviews; the owner and leads may.
        denied = c.post(
            f"/api/rooms/{rid}/interviewers", headers=co.headers, json={"user_id": other.user_id}
        )
        assert denied.status_code == 403
        dup = c.post(
            f"/api/rooms/{rid}/interviewers", headers=lead.headers, json={"user_id": co.user_id}
        )
        assert dup.status_code == 409

        candidate = join(server, room)
        rotated = c.post(f"/api/rooms/{rid}/invite", headers=co.headers).json()
        assert rotated["invite_token"] != room["invite_token"]
        assert c.post("/api/join", json={"invite_token": room["invite_token"]}).status_code == 404
        assert c.get(f"/api/rooms/{rid}", headers=candidate.headers).status_code == 401
        assert (
            c.post("/api/join", json={"invite_token": rotated["invite_token"]}).status_code == 200
        )

        removed = c.delete(f"/api/rooms/{rid}/interviewers/{co.user_id}", headers=lead.headers)
        assert removed.status_code == 200 and removed.json()["interviewers"] == []
        assert c.get(f"/api/rooms/{rid}", headers=co.headers).status_code == 404


def test_deactivated_owner_keeps_rooms(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    room = create_room(server, owner)
    with client(server) as c:
        r = c.patch(f"/api/users/{owner.user_id}", headers=lead.headers, json={"is_active": False})
        assert r.status_code == 200 and r.json()["is_active"] is False
        seen = c.get(f"/api/rooms/{room['id']}", headers=lead.headers)
        assert seen.status_code == 200 and seen.json()["owner"]["id"] == owner.user_id
        # Deleting a user who owns rooms would lose the record: refused.
        assert c.delete(f"/api/users/{owner.user_id}", headers=lead.headers).status_code == 409


def test_room_update(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    room = create_room(server, owner)
    with client(server) as c:
        r = c.patch(
            f"/api/rooms/{room['id']}",
            headers=owner.headers,
            json={
                "title": "System design",
                "duration_minutes": 45,
                "scheduled_at": "2099-05-01T09:00:00+02:00",
                "runs_enabled": False,
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["title"] == "System design" and body["duration_minutes"] == 45
        assert body["scheduled_at"] == "2099-05-01T07:00:00Z"
        assert body["status"] == "scheduled" and body["runs_enabled"] is False
        assert (
            c.patch(
                f"/api/rooms/{room['id']}", headers=owner.headers, json={"scheduled_at": None}
            ).json()["status"]
            == "live"
        )
        # A room scheduled ahead is live as soon as the candidate joins.
        c.patch(
            f"/api/rooms/{room['id']}", headers=owner.headers, json={"scheduled_at": "2099-01-01"}
        ).raise_for_status()
        join(server, room)
        live = c.get(f"/api/rooms/{room['id']}", headers=owner.headers).json()
        assert live["status"] == "live" and live["started_at"] is not None
        assert c.delete(f"/api/rooms/{room['id']}", headers=owner.headers).status_code == 204
        assert c.get(f"/api/rooms/{room['id']}", headers=owner.headers).status_code == 404
