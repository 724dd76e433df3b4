"""``/ws/rooms/{room_id}/terminal``: the room's shared shell (DESIGN.md, "Terminal").

The handshake is the other room sockets' (Origin, token, a part in the room; refused before
it completes). Then binary frames are keystrokes and text frames JSON messages
(:mod:`codepair.terminal.protocol`), each capped in size and rate: a frame over the cap
closes the socket (1009), a flood past the rate is dropped with an error, the shell goes on.
"""

from __future__ import annotations

import structlog
from fastapi import WebSocket
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.routing import WebSocketRoute

from codepair.config import Settings
from codepair.db.models.interviews import Room
from codepair.hub.admission import Refused, check_socket
from codepair.hub.connection import AsgiConnection
from codepair.hub.hub import Hub
from codepair.hub.limits import TokenBucket
from codepair.hub.protocol import CloseCode
from codepair.terminal import protocol
from codepair.terminal.cluster import SharedTerminal
from codepair.terminal.session import TerminalSession
from codepair.terminal.terminals import Terminals

log = structlog.get_logger("codepair.terminal")


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:
        await websocket.close(code=CloseCode.POLICY, reason=detail)


async def _room_ended(websocket: WebSocket, room_id: str) -> bool:
    async with websocket.app.state.db() as db:
        ended = await db.scalar(select(Room.ended_at).where(Room.id == room_id))
    return ended is not None


async def terminal_socket(websocket: WebSocket) -> None:
    """One socket on the room's shell."""
    room_id = websocket.path_params["room_id"]
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    terminals: Terminals = websocket.app.state.terminals
    try:
        principal, role = await check_socket(
            hub.admissions, hub.reads, settings, room_id=room_id, doc=None,
            token=websocket.query_params.get("token", ""),
            origin=websocket.headers.get("origin"),
        )
    except Refused as exc:
        await _deny(websocket, exc.status, exc.detail)
        return
    if not terminals.available:
        await _deny(websocket, 503, "The terminal needs bubblewrap, which this server lacks")
        return
    await websocket.accept()
    conn = AsgiConnection(websocket, principal, role, outbox_max=settings.outbox_max_messages)
    session: TerminalSession | SharedTerminal | None = None
    async with conn.serving():
        try:
            ended = not terminals.has(room_id) and await _room_ended(websocket, room_id)
            session = await terminals.attach(room_id, conn, ended=ended)
            bucket = TokenBucket(settings.terminal_input_per_second, settings.terminal_input_burst)
            max_bytes = session.config.input_frame_bytes
            receive = websocket.receive
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("bytes")
                text = message.get("text")
                size = len(frame) if frame is not None else len(text or "")
                if size > max_bytes:
                    conn.abort(CloseCode.TOO_BIG, "frame too large")
                    continue
                if not bucket.take():
                    conn.send(protocol.error("rate_limited", "Too many messages; slow down"))
                    continue
                if frame is not None:
                    session.keystrokes(conn, frame)
                    continue
                try:
                    parsed = protocol.parse(text or "")
                except protocol.BadMessage as exc:
                    conn.send(protocol.error("invalid_message", str(exc)))
                    continue
                if isinstance(parsed, protocol.Resize):
                    session.resize(conn, parsed.cols, parsed.rows)
                elif isinstance(parsed, protocol.Restart):
                    await session.restart(conn)
                else:
                    session.set_readonly(conn, parsed.on)
        finally:
            if session is not None:
                session.detach(conn)


ROUTES = [WebSocketRoute("/ws/rooms/{room_id}/terminal", terminal_socket)]
