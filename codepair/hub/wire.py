"""The Yjs socket spoken straight on the event loop's transport, under uvicorn.

Every keystroke of an interview crosses this path once in and once per reader out, and
thousands of sockets sit open on it. Behind ASGI each socket costs two tasks (the server's
and ours), a receive queue and the frames of every middleware, and each relayed frame is
encoded, queued and awaited once per reader. Here a socket is one :class:`asyncio.Protocol`
object: frames are parsed in ``data_received`` and handed to the room in the same call,
and the room's relay writes one encoded frame to each reader's transport, with no task, no
queue and no await on the way (ADR 6, docs/hub.md).

uvicorn hands every WebSocket upgrade to the protocol class it is configured with
(``ws=``): :class:`HubWebSocketProtocol` takes the upgrades of
``/ws/rooms/{room_id}/yjs/{doc}`` and passes every other one to uvicorn's own sans-I/O
protocol, so the events socket and anything else stay on the ASGI app. The ASGI route for
the Yjs socket (:mod:`codepair.hub.routes`) still serves other servers (granian); both
check the handshake with :func:`~codepair.hub.admission.check_socket` and hand frames to
:meth:`~codepair.hub.docroom.DocRoom.receive_limited`. Frames out, and closing, are
:mod:`codepair.hub.wiresender`'s.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import structlog

from codepair import metrics
from codepair.config import Settings
from codepair.hub.admission import Refused, check_socket
from codepair.hub.connection import CLOSE_TIMEOUT, QUIET_SECONDS
from codepair.hub.docroom import DocRoom
from codepair.hub.hub import Hub, RoomFull
from codepair.hub.limits import TokenBucket
from codepair.hub.protocol import CloseCode
from codepair.hub.wiresender import WireConnection, WireSender
from codepair.hub.wsframes import (
    MAX_REQUEST_BYTES,
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameError,
    FrameReader,
    HandshakeError,
    Request,
    accept_key,
    encode_frame,
    http_refusal,
    parse_close,
    parse_request,
    switching_protocols,
)

if TYPE_CHECKING:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

log = structlog.get_logger("codepair.hub")

# Where the app's lifespan leaves the hub for this protocol: uvicorn passes the lifespan
# state to every protocol it makes.
STATE_KEY = "codepair.hub.sockets"

YJS_PATH = re.compile(r"/ws/rooms/([^/]+)/yjs/([^/]+)")

# A socket that has sent nothing for ``ws_ping_after_seconds`` is pinged (browsers and
# Node's ws answer by themselves); one silent for ``ws_dead_after_seconds`` is gone without a
# FIN (a laptop closed, a network dropped) and is closed, so its cursor and its slot in the
# room go with it. One sweep looks at every socket, at most every SWEEP_SECONDS.
SWEEP_SECONDS = 10.0
# Frames a client may send while its room is still loading (its STEP1 and awareness).
MAX_EARLY_FRAMES = 64

_OPENING, _OPEN, _REFUSED, _CLOSED = range(4)


@dataclass
class HubSockets:
    """What the protocol needs of the app: the hub and its settings."""

    hub: Hub
    settings: Settings
    open: set[HubWebSocketProtocol] = field(default_factory=set)
    _sweeper: asyncio.TimerHandle | None = None

    @property
    def sweep_seconds(self) -> float:
        return min(SWEEP_SECONDS, self.settings.ws_ping_after_seconds / 2)

    def add(self, proto: HubWebSocketProtocol) -> None:
        self.open.add(proto)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(
                self.sweep_seconds, self._sweep
            )

    def discard(self, proto: HubWebSocketProtocol) -> None:
        self.open.discard(proto)

    def _sweep(self) -> None:
        """Ping the quiet sockets and close the dead ones: one timer for all of them."""
        now = time.monotonic()
        ping_after = self.settings.ws_ping_after_seconds
        dead_after = self.settings.ws_dead_after_seconds
        for proto in list(self.open):
            proto.check_alive(now, ping_after, dead_after)
        self._sweeper = (
            asyncio.get_running_loop().call_later(self.sweep_seconds, self._sweep)
            if self.open
            else None
        )


class HubWebSocketProtocol(asyncio.Protocol):
    """One WebSocket under uvicorn: the Yjs socket itself, or uvicorn's protocol for others.

    Reads here; writes through its :class:`~codepair.hub.wiresender.WireSender`, made when
    the handshake is accepted.
    """

    __slots__ = (
        "_bucket",
        "_delegate",
        "_discard_until",
        "_early",
        "_reader",
        "_request",
        "_sender",
        "_sockets",
        "_state",
        "_task",
        "app_state",
        "config",
        "conn",
        "last_seen",
        "room",
        "server_state",
        "transport",
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.transport: asyncio.Transport | None = None
        self.conn: WireConnection | None = None
        self.room: DocRoom | None = None
        self.last_seen = time.monotonic()
        self._sockets: HubSockets | None = None
        self._delegate: asyncio.Protocol | None = None
        self._request = bytearray()
        self._state = _OPENING
        self._task: asyncio.Task[None] | None = None
        self._reader: FrameReader | None = None
        self._bucket: TokenBucket | None = None
        self._early: list[bytes] | None = None
        self._sender: WireSender | None = None
        self._discard_until = 0.0

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server_state.connections.add(self)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if self._delegate is not None:
            self._delegate.data_received(data)
            return
        if self._state != _OPENING:
            reader = self._reader
            if reader is not None:
                self.last_seen = time.monotonic()
                reader.feed(data)
                self._read_frames(reader)
            elif self._sender is not None and self._sender.close_sent:
                self._discarding()
            return
        self._request += data
        if self._task is not None:
            # The handshake is being checked and the client sends already: only a broken
            # client does, since it must wait for our 101. Hold a little, then give up.
            if len(self._request) > MAX_REQUEST_BYTES:
                self._abort()
            return
        end = self._request.find(b"\r\n\r\n")
        if end < 0:
            if len(self._request) > MAX_REQUEST_BYTES:
                self._refuse(431, "Request headers too large")
            return
        raw = bytes(self._request[: end + 4])
        self._request = self._request[end + 4 :]
        self._handshake(raw)

    def eof_received(self) -> bool | None:
        if self._delegate is not None:
            return self._delegate.eof_received()
        return None  # the transport closes itself

    def pause_writing(self) -> None:
        if self._delegate is not None:
            self._delegate.pause_writing()
        elif self._sender is not None:
            self._sender.pause()

    def resume_writing(self) -> None:
        if self._delegate is not None:
            self._delegate.resume_writing()
        elif self._sender is not None:
            self._sender.resume()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._delegate is not None:
            self._delegate.connection_lost(exc)
            return
        self._state = _CLOSED
        self.server_state.connections.discard(self)
        if self._sender is not None:
            self._sender.connection_lost()
        if self._task is not None and not self._task.done():
            self._task.cancel()  # still opening: the hub forgets the half-joined socket
        sockets = self._sockets
        if sockets is not None:
            sockets.discard(self)
            if self.conn is not None:
                self.conn.closed = True
                if self.room is not None:
                    sockets.hub.leave_doc(self.room, self.conn)

    # --- uvicorn's graceful shutdown ------------------------------------------------------

    def shutdown(self) -> None:
        if self._delegate is not None:
            self._delegate.shutdown()  # type: ignore[attr-defined]
        elif self.conn is not None and self._sender is not None:
            self.conn.close(CloseCode.GOING_AWAY, "server shutting down")
            # uvicorn waits for every connection to end: a client that does not answer our
            # close holds the restart up for CLOSE_TIMEOUT at most, not the usual drain.
            self._sender.arm(CLOSE_TIMEOUT, self._sender.drop)
        elif self.transport is not None:
            self.transport.close()

    # --- the opening handshake ------------------------------------------------------------

    def _handshake(self, raw: bytes) -> None:
        try:
            request = parse_request(raw)
        except HandshakeError as exc:
            self._refuse(exc.status, exc.detail)
            return
        match = YJS_PATH.fullmatch(request.path)
        sockets = self.app_state.get(STATE_KEY)
        if match is None or not isinstance(sockets, HubSockets):
            self._hand_over(raw)
            return
        self._sockets = sockets
        room_id, doc = unquote(match[1]), unquote(match[2])
        self._task = asyncio.get_running_loop().create_task(
            self._open(sockets, request, room_id, doc)
        )

    def _hand_over(self, raw: bytes) -> None:
        """Not a Yjs socket: uvicorn's own protocol runs it through the ASGI app."""
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )

        assert self.transport is not None
        self.server_state.connections.discard(self)
        delegate = WebSocketsSansIOProtocol(self.config, self.server_state, self.app_state)
        self._delegate = delegate
        delegate.connection_made(self.transport)
        rest, self._request = bytes(self._request), bytearray()
        delegate.data_received(raw + rest)

    async def _open(self, sockets: HubSockets, request: Request, room_id: str, doc: str) -> None:
        try:
            await self._join(sockets, request, room_id, doc)
        except asyncio.CancelledError:
            raise  # the connection was lost while opening
        except Exception:  # a bug: this socket goes, the server and the room stay
            log.exception("socket_open_failed", room=room_id, doc=doc)
            self._abort()

    async def _join(self, sockets: HubSockets, request: Request, room_id: str, doc: str) -> None:
        settings = sockets.settings
        try:
            accept = accept_key(request)
            token = ""
            for name, value in parse_qsl(request.query, keep_blank_values=True):
                if name == "token":
                    token = value  # the last one, as Starlette reads it
            principal, role = await check_socket(
                sockets.hub.admissions,
                sockets.hub.reads,
                settings,
                room_id=room_id,
                doc=doc,
                token=token,
                origin=request.header("origin"),
            )
        except (HandshakeError, Refused) as exc:
            self._refuse(exc.status, exc.detail)
            return
        if self._state != _OPENING or self.transport is None:
            return
        sender = self._sender = WireSender(
            self.transport, settings.outbox_max_messages, self._slow_consumer
        )
        # The 101 waits for the room (its load, on a first join) and goes out with our STEP1
        # and the awareness states in one write: one send per socket opened, not three.
        sender.cork(switching_protocols(accept, self.server_state.default_headers))
        conn = self.conn = WireConnection(sender, principal, role)
        self._state = _OPEN
        self._reader = FrameReader(settings.max_frame_bytes)
        self._bucket = TokenBucket(settings.yjs_messages_per_second, settings.yjs_message_burst)
        self._early = []
        sockets.add(self)
        self.last_seen = time.monotonic()
        if self._request:  # sent before our 101 arrived: a broken client, but read it
            sent_early, self._request = bytes(self._request), bytearray()
            self.data_received(sent_early)
        try:
            room = await sockets.hub.join_doc(room_id, doc, conn)
        except RoomFull:
            conn.abort(CloseCode.ROOM_FULL, "too many sockets on this document")
            return
        except Exception as exc:  # the database is down: say so, do not crash the handler
            log.error("room_join_failed", room=room_id, doc=doc, error=type(exc).__name__)
            conn.abort(CloseCode.INTERNAL_ERROR, "document could not be loaded")
            return
        finally:
            sender.uncork()
        self.room = room
        queued, self._early = self._early, None
        for frame in queued or ():
            if conn.closed:
                break
            room.receive_limited(conn, frame, self._bucket)

    def _abort(self) -> None:
        if self.transport is not None and self._state != _CLOSED:
            self.transport.abort()

    def _slow_consumer(self) -> None:
        assert self.conn is not None
        metrics.SLOW_CONSUMERS.inc()
        self.conn.abort(CloseCode.TRY_AGAIN_LATER, "slow consumer: outbox full")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer the handshake with an HTTP error and end the connection."""
        if self.transport is None or self._state != _OPENING:
            return
        self._state = _REFUSED
        body = json.dumps({"detail": detail}).encode()
        self.transport.write(http_refusal(status, body, self.server_state.default_headers))
        self.transport.close()

    # --- frames in ------------------------------------------------------------------------

    def _read_frames(self, reader: FrameReader) -> None:
        conn, sender = self.conn, self._sender
        assert conn is not None and sender is not None
        while True:
            try:
                item = reader.read()
            except FrameError as exc:
                # What follows cannot be parsed: send the close, then read and drop what the
                # client still sends until it goes quiet (its close reply among it).
                self._reader = None
                conn.abort(exc.code, exc.reason)
                self._discarding()
                return
            if item is None:
                return
            opcode, payload = item
            if opcode == OP_BINARY:
                if conn.closed:
                    continue  # closing: what the client still sends is read and dropped
                room = self.room
                if room is not None:
                    assert self._bucket is not None
                    room.receive_limited(conn, payload, self._bucket)
                elif self._early is not None and len(self._early) < MAX_EARLY_FRAMES:
                    self._early.append(payload)
                else:
                    conn.abort(CloseCode.TRY_AGAIN_LATER, "too many messages before sync")
            elif opcode == OP_TEXT:
                conn.abort(CloseCode.UNSUPPORTED_DATA, "binary frames only")
            elif opcode == OP_PING:
                if not sender.close_sent:
                    sender.write(encode_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self._closed_by_client(conn, sender, payload)
                return
            # OP_PONG: last_seen is all it is for

    def _closed_by_client(self, conn: WireConnection, sender: WireSender, payload: bytes) -> None:
        """The client's close: answer it (unless it answers ours) and end the connection."""
        self._reader = None
        try:
            code = parse_close(payload)
        except FrameError as exc:
            code = exc.code
        if not sender.close_sent:
            conn.closed = True
            conn.close_code = code
        sender.answer_close(code)

    def _discarding(self) -> None:
        """After a protocol error: end the connection once the client pauses, with nothing
        unread (closing with unread data resets it, and the reset can destroy our close
        frame before the client reads it)."""
        sender = self._sender
        assert sender is not None
        loop = asyncio.get_running_loop()
        if self._discard_until == 0.0:
            self._discard_until = loop.time() + CLOSE_TIMEOUT
        if loop.time() > self._discard_until:
            sender.drop()
        else:
            sender.arm(QUIET_SECONDS, sender.end)

    def check_alive(self, now: float, ping_after: float, dead_after: float) -> None:
        """From the sweep: ping a quiet socket, close one that stopped answering."""
        conn, sender = self.conn, self._sender
        if conn is None or sender is None or sender.close_sent:
            return
        quiet = now - self.last_seen
        if quiet > dead_after:
            conn.abort(CloseCode.GOING_AWAY, "no answer to pings")
            sender.arm(CLOSE_TIMEOUT, sender.drop)  # it will not answer the close either
        elif quiet > ping_after:
            sender.write(encode_frame(OP_PING, b""))
