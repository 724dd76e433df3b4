"""The hub's endpoints: the room sockets (the chat history is core's, in the REST API).

Thin on purpose: check the handshake (Origin, token, the person's part in the room), then
hand frames to the room objects of :mod:`codepair.hub` and close with a clear code when a
frame is over a cap or malformed. Refusals happen before the handshake completes.
"""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.routing import WebSocketRoute

from codepair.config import Settings
from codepair.hub.admission import Refused, check_socket
from codepair.hub.connection import CLOSE_TIMEOUT, AsgiConnection
from codepair.hub.docroom import DocRoom
from codepair.hub.events import EventPeer, EventRoom
from codepair.hub.hub import Hub, RoomFull
from codepair.hub.limits import TokenBucket
from codepair.hub.protocol import CloseCode, ErrorCode

log = structlog.get_logger("codepair.hub")

router = APIRouter(tags=["rooms"])

# --- handshake --------------------------------------------------------------------------


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    """Refuse the handshake: an HTTP answer if the server can send one, else a plain 403."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:
        await websocket.close(code=CloseCode.POLICY, reason=detail)


async def _admit(websocket: WebSocket, room_id: str, doc: str | None) -> AsgiConnection | None:
    """Authorize and accept the socket, or refuse it and return None."""
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    try:
        principal, role = await check_socket(
            hub.admissions,
            hub.reads,
            settings,
            room_id=room_id,
            doc=doc,
            token=websocket.query_params.get("token", ""),
            origin=websocket.headers.get("origin"),
        )
    except Refused as exc:
        await _deny(websocket, exc.status, exc.detail)
        return None
    await websocket.accept()
    return AsgiConnection(websocket, principal, role, outbox_max=settings.outbox_max_messages)


# --- /ws/rooms/{room_id}/yjs/{doc} ------------------------------------------------------


async def yjs_socket(websocket: WebSocket) -> None:
    """The y-websocket protocol for one document, one message per frame."""
    room_id = websocket.path_params["room_id"]
    doc = websocket.path_params["doc"]
    conn = await _admit(websocket, room_id, doc)
    if conn is None:
        return
    hub: Hub = websocket.app.state.hub
    settings: Settings = websocket.app.state.settings
    room: DocRoom | None = None
    async with conn.serving():
        try:
            try:
                room = await hub.join_doc(room_id, doc, conn)
            except RoomFull:
                conn.abort(CloseCode.ROOM_FULL, "too many sockets on this document")
                await asyncio.sleep(CLOSE_TIMEOUT)  # cancelled at once by the abort
                return
            except Exception as exc:  # the database is down: say so, do not crash the handler
                log.error("room_join_failed", room=room_id, doc=doc, error=type(exc).__name__)
                conn.abort(CloseCode.INTERNAL_ERROR, "document could not be loaded")
                await asyncio.sleep(CLOSE_TIMEOUT)
                return
            bucket = TokenBucket(settings.yjs_messages_per_second, settings.yjs_message_burst)
            max_bytes = settings.max_frame_bytes
            receive = websocket.receive
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("bytes")
                if frame is None:
                    conn.abort(CloseCode.UNSUPPORTED_DATA, "binary frames only")
                elif len(frame) > max_bytes:
                    conn.abort(CloseCode.TOO_BIG, "frame too large")
                else:
                    room.receive_limited(conn, frame, bucket)
        finally:
            if room is not None:
                hub.leave_doc(room, conn)


# --- /ws/rooms/{room_id}/events ---------------------------------------------------------


async def events_socket(websocket: WebSocket) -> None:
    """Presence, chat, signaling and room notices as JSON text frames."""
    room_id = websocket.path_params["room_id"]
    conn = await _admit(websocket, room_id, None)
    if conn is None:
        return
    hub: Hub = websocket.app.state.hub
    settings: Settings = websocket.app.state.settings
    joined: tuple[EventRoom, EventPeer] | None = None
    async with conn.serving():
        try:
            try:
                joined = await hub.join_events(room_id, conn)
            except Exception as exc:
                log.error("room_join_failed", room=room_id, error=type(exc).__name__)
                conn.abort(CloseCode.INTERNAL_ERROR, "room could not be opened")
                await asyncio.sleep(CLOSE_TIMEOUT)
                return
            room, peer = joined
            max_bytes = settings.max_event_frame_bytes
            receive = websocket.receive
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    peer.error(ErrorCode.INVALID_MESSAGE, "Text frames only")
                elif len(text) > max_bytes:
                    # Big frames are a client bug or an attack; the socket goes, the room stays.
                    conn.abort(CloseCode.TOO_BIG, "frame too large")
                else:
                    await room.receive(peer, text)
        finally:
            if joined is not None:
                hub.leave_events(*joined)


# Plain Starlette routes: FastAPI's dependency solving (it parses cookies) on every handshake
# costs more than the rest of the handshake when thousands of clients reconnect at once.
router.routes.append(WebSocketRoute("/ws/rooms/{room_id}/yjs/{doc}", yjs_socket))
router.routes.append(WebSocketRoute("/ws/rooms/{room_id}/events", events_socket))
