"""The outgoing half of a Yjs socket on the hub's own protocol (ADR 6), and the room's view
of it.

:class:`WireSender` writes frames straight to the transport while it takes them; once the
kernel's buffer and the transport's fill up (``pause_writing``), frames wait in a deque of
at most ``outbox_max_messages``, and a client that lets it overflow is closed with 1013. It
also sends the close and cuts off a client that never answers it. :class:`WireConnection`
is what rooms hold: ``send``, ``close`` and ``abort`` on top of the sender, never awaiting.
The incoming half (handshake, frames in) is :mod:`codepair.hub.wire`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

import structlog

from codepair.hub.connection import CLOSE_DRAIN_TIMEOUT, CLOSE_TIMEOUT, Connection
from codepair.hub.wsframes import OP_BINARY, OP_CLOSE, OP_TEXT, close_payload, encode_frame
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.hub")

# The relay hands the same frame object to every reader in turn: encode it once.
_last_payload: bytes | str | None = None
_last_frame = b""


def frame_for(message: bytes | str) -> bytes:
    """``message`` as one server frame (bytes: binary, str: text), encoded once per object."""
    global _last_payload, _last_frame
    if message is not _last_payload:
        if isinstance(message, bytes):
            _last_frame = encode_frame(OP_BINARY, message)
        else:
            _last_frame = encode_frame(OP_TEXT, message.encode())
        _last_payload = message
    return _last_frame


class WireSender:
    """Frames out of one socket: straight, corked, or held while the transport is paused.

    ``overflow`` is called when a paused client's backlog passes ``outbox_max``; it closes
    the socket (the protocol counts a slow consumer and aborts the connection).
    """

    __slots__ = ("_cork", "_outbox", "_overflow", "_queued_close", "_timer", "close_sent",
                 "lost", "outbox_max", "paused", "transport")

    def __init__(
        self, transport: asyncio.Transport, outbox_max: int, overflow: Callable[[], None]
    ) -> None:
        self.transport = transport
        self.outbox_max = outbox_max
        self._overflow = overflow
        self.paused = False
        self.close_sent = False
        self.lost = False  # the connection is gone: nothing more is written
        self._outbox: deque[bytes] | None = None
        self._cork: list[bytes] | None = None
        self._queued_close: tuple[int, str] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # --- writing --------------------------------------------------------------------------

    def message(self, message: bytes | str) -> None:
        """A room's message; nothing once a close is sent or waiting."""
        if not self.close_sent and self._queued_close is None:
            self.write(frame_for(message))

    def write(self, frame: bytes) -> None:
        if self.lost:
            return
        if not self.paused:
            self._put(frame)
            return
        outbox = self._outbox
        if outbox is None:
            outbox = self._outbox = deque()
        if len(outbox) >= self.outbox_max:
            self._overflow()
            return
        outbox.append(frame)

    def _put(self, data: bytes) -> None:
        """To the transport, or behind the 101 while the socket is corked."""
        if self._cork is not None:
            self._cork.append(data)
        else:
            self.transport.write(data)

    def cork(self, first: bytes) -> None:
        """Hold every write behind ``first`` (the 101) until :meth:`uncork`: one send."""
        self._cork = [first]

    def uncork(self) -> None:
        cork, self._cork = self._cork, None
        if cork and not self.lost:
            self.transport.write(b"".join(cork))

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        outbox = self._outbox
        while outbox and not self.paused:
            self.transport.write(outbox.popleft())
        if not outbox and self._queued_close is not None and not self.paused:
            code, reason = self._queued_close
            self._queued_close = None
            self._send_close(code, reason)

    # --- closing --------------------------------------------------------------------------

    def close_when_sent(self, code: int, reason: str) -> None:
        """Close after what is queued; a client that does not read it in time is cut off."""
        if self.close_sent or self._queued_close is not None:
            return
        if self.paused and self._outbox:
            self._queued_close = (code, reason)
            self.arm(CLOSE_TIMEOUT, self.close_now, code, reason)
        else:
            self._send_close(code, reason)

    def close_now(self, code: int, reason: str) -> None:
        """Drop what is queued and send the close frame (behind what the kernel holds)."""
        self._outbox = None
        self._queued_close = None
        if not self.close_sent:
            self._send_close(code, reason)

    def _send_close(self, code: int, reason: str) -> None:
        if self.lost:
            return
        self.close_sent = True
        self._put(encode_frame(OP_CLOSE, close_payload(code, reason)))
        # The client answers with its close and we end the TCP connection then; one that
        # never does is cut off. Reading on meanwhile matters: a socket closed with unread
        # data is reset, and the reset can destroy our close frame before the client reads it.
        self.arm(CLOSE_DRAIN_TIMEOUT, self.drop)

    def answer_close(self, code: int) -> None:
        """The client closed: echo its code (unless this answers our close), then end."""
        if not self.close_sent and not self.lost:
            self.close_sent = True
            self._put(encode_frame(OP_CLOSE, b"" if code == 1005 else code.to_bytes(2, "big")))
        self.end()

    def arm(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        """The one pending close timer (a later one replaces it)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, callback, *args)

    def end(self) -> None:
        """End the TCP connection once what is written has gone out."""
        if not self.lost:
            self.transport.close()

    def drop(self) -> None:
        """End it now, written or not."""
        if not self.lost:
            self.transport.abort()

    def connection_lost(self) -> None:
        self.lost = True
        self._outbox = None
        if self._timer is not None:
            self._timer.cancel()


class WireConnection(Connection):
    """A Yjs socket as the room sees it, writing through its :class:`WireSender`."""

    __slots__ = ("_sender",)

    def __init__(self, sender: WireSender, principal: Principal, room_role: str) -> None:
        super().__init__(principal, room_role)
        self._sender = sender

    def send(self, message: bytes | str) -> None:
        if not self.closed:
            self._sender.message(message)

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self.close_code = code
            self._sender.close_when_sent(code, reason)

    def abort(self, code: int, reason: str) -> None:
        if self._sender.close_sent:
            return
        log.info("socket_dropped", conn=self.id, code=code, reason=reason)
        self.closed = True
        self.close_code = code
        self._sender.close_now(code, reason)
