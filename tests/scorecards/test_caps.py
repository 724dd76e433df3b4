"""Rate caps of scorecard writes and reports: over the cap, 429 with Retry-After."""

from __future__ import annotations

from tests.support.api import Actor, client, create_room, create_user
from tests.support.server import Server


def test_draft_writes_are_capped_per_person(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    room = create_room(server, owner)
    url = f"/api/rooms/{room['id']}/scorecards/me"
    body = {"ratings": [{"criterion": "Testing", "score": 2}], "summary": "typing"}
    with client(server) as c:
        statuses = [c.put(url, headers=owner.headers, json=body).status_code for _ in range(241)]
        assert statuses[:240] == [200] * 240
        r = c.put(url, headers=owner.headers, json=body)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # Someone else is not held back by it.
        other = create_user(server, lead)
        room2 = create_room(server, other)
        r = c.put(f"/api/rooms/{room2['id']}/scorecards/me", headers=other.headers, json=body)
        assert r.status_code == 200


def test_reports_are_capped_per_person(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    room = create_room(server, owner)
    url = f"/api/rooms/{room['id']}/report?format=json"
    with client(server) as c:
        statuses = [c.get(url, headers=owner.headers).status_code for _ in range(30)]
        assert statuses == [200] * 30
        r = c.get(url, headers=owner.headers)
        assert r.status_code == 429 and "retry-after" in r.headers
