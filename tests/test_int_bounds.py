"""Integers out of range never reach the database (SQLite raised OverflowError past 64 bits,
asyncpg a DataError past 32, both answered 500): a path id that names no row is a 404, a
query or body number out of range a 422 (codepair/api/bounds.py, docs/api.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Actor, client, create_room, create_user
from tests.support.server import Server

EDGES = [0, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**40]
OFFSET_EDGES = [-1, 1_000_001, 2**63, 2**64, 10**40]


@pytest.fixture(scope="module")
def room(server: Server, shared_lead: Actor) -> dict[str, Any]:
    return create_room(server, shared_lead)


@pytest.mark.parametrize("value", EDGES)
def test_a_path_id_out_of_range_names_no_row(
    server: Server, lead: Actor, room: dict[str, Any], value: int
) -> None:
    rid = room["id"]
    with client(server) as c:
        for method, path, body in [
            ("GET", f"/api/users/{value}", None),
            ("PATCH", f"/api/users/{value}", {"name": "N"}),
            ("DELETE", f"/api/users/{value}", None),
            ("DELETE", f"/api/rooms/{rid}/interviewers/{value}", None),
            ("POST", f"/api/rooms/{rid}/scorecards/{value}/reopen", None),
        ]:
            r = c.request(method, path, headers=lead.headers, json=body)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert isinstance(r.json()["detail"], str)


@pytest.mark.parametrize("value", EDGES)
def test_a_query_or_body_id_out_of_range_is_invalid(
    server: Server, lead: Actor, room: dict[str, Any], value: int
) -> None:
    rid = room["id"]
    with client(server) as c:
        r = c.post(f"/api/rooms/{rid}/interviewers", headers=lead.headers, json={"user_id": value})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "user_id"]
        r = c.get(f"/api/rooms/{rid}/messages", headers=lead.headers, params={"before_id": value})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["query", "before_id"]


@pytest.mark.parametrize("value", OFFSET_EDGES)
def test_pages_out_of_range_are_invalid(
    server: Server, lead: Actor, room: dict[str, Any], value: int
) -> None:
    with client(server) as c:
        for path in [
            "/api/users",
            "/api/rooms",
            "/api/questions",
            "/api/audit",
            f"/api/rooms/{room['id']}/runs",
        ]:
            for name in ("offset", "limit"):
                r = c.get(path, headers=lead.headers, params={name: value})
                assert r.status_code == 422, (path, name, r.text)
        r = c.get(
            f"/api/rooms/{room['id']}/history/code/updates",
            headers=lead.headers,
            params={"after": value},
        )
        assert r.status_code == (200 if -1 <= value <= 2**62 else 422), r.text


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64, 10**40, "²", "٣"])
def test_an_audit_actor_that_is_no_id_searches_names(
    server: Server, lead: Actor, value: object
) -> None:
    with client(server) as c:
        r = c.get("/api/audit", headers=lead.headers, params={"actor": str(value)})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


def test_an_id_in_range_still_works(server: Server, lead: Actor, room: dict[str, Any]) -> None:
    other = create_user(server, lead)
    with client(server) as c:
        r = c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=lead.headers,
            json={"user_id": other.user_id},
        )
        assert r.status_code == 201, r.text
        assert c.get(f"/api/users/{other.user_id}", headers=lead.headers).status_code == 200
        r = c.get(f"/api/rooms/{room['id']}/messages", headers=lead.headers,
                  params={"before_id": 2**31 - 1})
        assert r.status_code == 200, r.text
