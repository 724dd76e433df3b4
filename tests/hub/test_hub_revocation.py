"""Sockets close at once when the sign-in or invite behind them is revoked, and only those."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets
from websockets.exceptions import ConnectionClosed

from tests.support.api import PASSWORD, Actor, client, create_room, create_user, join, login
from tests.support.server import Server


async def _events(server: Server, room_id: str, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"{server.ws_url}/ws/rooms/{room_id}/events?token={token}")
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome"
    return ws


async def _closed_with(ws: websockets.ClientConnection, within: float = 1.0) -> int | None:
    """The close code if the server closes the socket within ``within`` seconds, else None."""
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return None


async def test_logout_closes_that_sign_in_only(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    other_device = login(server, user.email or "")
    room = create_room(server, user)
    here = await _events(server, room["id"], user.token)
    there = await _events(server, room["id"], other_device.token)
    with client(server) as c:
        r = c.post("/api/auth/logout", json={"refresh_token": user.refresh_token})
        assert r.status_code == 204
    assert await _closed_with(here) == 4401
    assert await _closed_with(there, within=0.3) is None  # the other sign-in stays
    await there.close()


async def test_password_change_closes_the_other_sign_ins(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    laptop = login(server, user.email or "")
    room = create_room(server, user)
    current = await _events(server, room["id"], user.token)
    stale = await _events(server, room["id"], laptop.token)
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.post(
            "/api/me/password",
            headers=user.headers,
            json={"current_password": PASSWORD, "new_password": "another-secret"},
        )
        assert r.status_code == 204
    assert await _closed_with(stale) == 4401
    assert await _closed_with(current, within=0.3) is None
    await current.close()


async def test_replacing_the_invite_closes_the_candidate(server: Server, lead: Actor) -> None:
    room = create_room(server, lead)
    candidate = join(server, room)
    interviewer = await _events(server, room["id"], lead.token)
    cand = await _events(server, room["id"], candidate.token)
    with client(server) as c:
        rotated = c.post(f"/api/rooms/{room['id']}/invite", headers=lead.headers)
        assert rotated.status_code == 200
    assert await _closed_with(cand) == 4401
    assert await _closed_with(interviewer, within=0.3) is None
    # The old token is refused at the handshake; the new link lets the candidate back in.
    try:
        await _events(server, room["id"], candidate.token)
        raise AssertionError("a revoked candidate token opened a socket")
    except websockets.InvalidStatus as exc:
        assert exc.response.status_code == 401
    again = join(server, rotated.json())
    back = await _events(server, room["id"], again.token)
    await back.close()
    await interviewer.close()
