"""Small helpers that act through the REST API as a user of CodePair would."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from tests.support.server import Server

PASSWORD = "correct-horse-battery"


@dataclass
class Actor:
    """Someone with a token: a user (with refresh token) or a candidate."""

    name: str
    token: str
    role: str
    user_id: int | None = None
    email: str | None = None
    refresh_token: str | None = None
    room_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def login(server: Server, email: str, password: str = PASSWORD) -> Actor:
    with client(server) as c:
        r = c.post("/api/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        body = r.json()
    user = body["user"]
    return Actor(
        name=user["name"],
        token=body["access_token"],
        role=user["role"],
        user_id=user["id"],
        email=user["email"],
        refresh_token=body["refresh_token"],
    )


def keep_fresh(server: Server, actor: Actor, margin: float = 300) -> Actor:
    """The actor, its access token renewed first if it expires within ``margin`` seconds:
    the whole suite outlasts one access token (15 minutes), and shared actors live that long.
    Renewed through the refresh endpoint, in place, as the web client does."""
    claims = jwt.decode(actor.token, options={"verify_signature": False})
    if claims["exp"] - time.time() < margin:
        renew_tokens(server, actor)
    return actor


def renew_tokens(server: Server, actor: Actor) -> None:
    """Trade the actor's refresh token for a new pair, in place."""
    with client(server) as c:
        r = c.post("/api/auth/refresh", json={"refresh_token": actor.refresh_token})
        r.raise_for_status()
        body = r.json()
    actor.token = body["access_token"]
    actor.refresh_token = body["refresh_token"]


def bootstrap_lead(server: Server) -> Actor:
    """The first lead, made with ``codepair create-user`` as an operator would."""
    email = f"lead-{secrets.token_hex(4)}@example.com"
    server.cli(
        "create-user", email, "--name", "Lena Lead", "--role", "lead", "--password", PASSWORD
    )
    return login(server, email)


def create_user(server: Server, lead: Actor, role: str = "interviewer", name: str = "") -> Actor:
    email = f"{role}-{secrets.token_hex(4)}@example.com"
    with client(server) as c:
        r = c.post(
            "/api/users",
            headers=lead.headers,
            json={
                "email": email,
                "name": name or f"Ivy {role}",
                "role": role,
                "password": PASSWORD,
            },
        )
        assert r.status_code == 201, r.text
    return login(server, email)


def create_room(server: Server, owner: Actor, **fields: Any) -> dict[str, Any]:
    body = {"candidate_name": "Cody Candidate", "title": "Backend pairing", **fields}
    with client(server) as c:
        r = c.post("/api/rooms", headers=owner.headers, json=body)
        assert r.status_code == 201, r.text
        room: dict[str, Any] = r.json()
    return room


def join(server: Server, room: dict[str, Any], name: str = "Cody") -> Actor:
    with client(server) as c:
        r = c.post("/api/join", json={"invite_token": room["invite_token"], "name": name})
        assert r.status_code == 200, r.text
        body = r.json()
    return Actor(name=name, token=body["token"], role="candidate", room_id=body["room_id"])
