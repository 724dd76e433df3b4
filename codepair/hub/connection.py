"""One socket as a room sees it: who is on it, and a bounded way to send to it.

Rooms never await a socket. They hand it a message and go on; the transport sends messages in
order. A client that reads slower than the room writes is disconnected once its bounded
backlog fills up, instead of being allowed to hold the room back or grow memory without bound.

:class:`Connection` is what rooms see; :class:`AsgiConnection` is the transport for any ASGI
server (an outbox drained by a writer task), :mod:`codepair.hub.wire` the one that writes
straight to the socket under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, MutableMapping
from typing import Any, ClassVar, Protocol

import structlog
from starlette.websockets import WebSocketDisconnect

from codepair import metrics
from codepair.hub.protocol import CloseCode
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.hub")

# How long a close handshake may take before the socket is dropped.
CLOSE_TIMEOUT = 1.0
# How long a closed socket is read for the client's close reply (a busy client may be slow).
CLOSE_DRAIN_TIMEOUT = 5.0
QUIET_SECONDS = 0.05


class Transport(Protocol):
    """What the hub needs from a WebSocket; Starlette's ``WebSocket`` is one."""

    async def send_bytes(self, data: bytes) -> None: ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...

    async def receive(self) -> MutableMapping[str, Any]: ...


class _Close:
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


_ids = itertools.count(1)


class Connection(ABC):
    """A socket of one person in one room, as rooms see it: who is on it, and how to send.

    ``room_role`` is the person's part in the room (owner, co, lead, candidate). Rooms only
    ever call :meth:`send`, :meth:`close` and :meth:`abort`, none of which awaits; each
    transport (:class:`AsgiConnection` here, :class:`~codepair.hub.wire.WireConnection`)
    decides how the bytes reach the client.
    """

    __slots__ = ("_peer_id", "awareness_ids", "close_code", "closed", "id", "principal",
                 "room_role")

    # A socket of another instance stood in for here (the terminal's relay): broadcasts
    # reach it through the bus once for its whole instance, not through its ``send``.
    relayed: ClassVar[bool] = False

    def __init__(self, principal: Principal, room_role: str) -> None:
        self.id = next(_ids)
        self._peer_id: str | None = None
        self.principal = principal
        self.room_role = room_role
        # Awareness client ids this socket has announced: removed for everyone when it closes.
        self.awareness_ids: set[int] = set()
        self.closed = False
        self.close_code: int | None = None

    @property
    def peer_id(self) -> str:
        """The socket's id on the events socket (random: it is shown to the other peers).

        Made when first asked for: Yjs sockets never need one, and it costs a system call.
        """
        if self._peer_id is None:
            self._peer_id = secrets.token_urlsafe(9)
        return self._peer_id

    @property
    def is_candidate(self) -> bool:
        return self.principal.is_candidate

    @abstractmethod
    def send(self, message: bytes | str) -> None:
        """Queue a message (bytes: a binary frame, str: a text frame); never blocks."""

    @abstractmethod
    def close(self, code: int, reason: str) -> None:
        """Close after what is already queued has been sent."""

    @abstractmethod
    def abort(self, code: int, reason: str) -> None:
        """Close now, dropping whatever is queued."""


class AsgiConnection(Connection):
    """A socket behind an ASGI server: a bounded outbox drained by one writer task.

    The handler's own task reads; it is cancelled when the socket must close, and closes it
    (:meth:`finish`).
    """

    __slots__ = ("_aborted", "_idle", "_outbox", "_reader", "_writer", "close_request",
                 "outbox_max", "reader_cancelled", "transport")

    def __init__(
        self,
        transport: Transport,
        principal: Principal,
        room_role: str,
        *,
        outbox_max: int,
    ) -> None:
        super().__init__(principal, room_role)
        self.transport = transport
        self.outbox_max = outbox_max
        self.reader_cancelled = False  # we cancelled the reader to close the socket
        self.close_request: tuple[int, str] | None = None
        self._aborted = False
        self._outbox: deque[bytes | str | _Close] = deque()
        # The writer's parking spot: a bare future is cheaper than an Event on the hot path.
        self._idle: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[object] | None = None

    def start(self) -> None:
        """Start the writer; the calling task is the reader, cancelled if the socket is dropped."""
        self._reader = asyncio.current_task()
        self._writer = asyncio.create_task(self._write_loop(), name=f"hub-writer-{self.id}")

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """The frame around a socket handler's receive loop (the handler's task is the
        reader): the writer starts; the client gone, or the socket closed under the server
        (Starlette raises RuntimeError), ends the loop quietly; a close this side asked for
        (:meth:`close`, :meth:`abort`) is sent with its code (:meth:`finish`); the writer
        always stops. The handler's own cleanup (leaving its room) runs inside, first."""
        self.start()
        try:
            yield
        except (WebSocketDisconnect, RuntimeError):
            pass
        except asyncio.CancelledError:
            if not self.reader_cancelled:
                raise
            await self.finish()
        finally:
            await self.stop()

    def send(self, message: bytes | str) -> None:
        """Queue a message; a client that is too far behind is disconnected."""
        if self.closed:
            return
        if len(self._outbox) >= self.outbox_max:
            metrics.SLOW_CONSUMERS.inc()
            self.abort(CloseCode.TRY_AGAIN_LATER, "slow consumer: outbox full")
            return
        self._outbox.append(message)
        self._wake()

    def close(self, code: int, reason: str) -> None:
        """Close after what is already queued has been sent."""
        if self.closed:
            return
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._force_close, code, reason)
        self.closed = True
        self.close_code = code
        self._outbox.append(_Close(code, reason))
        self._wake()

    def abort(self, code: int, reason: str) -> None:
        """Close now, dropping whatever is queued.

        The frame being sent is finished first (cutting a send short can leave the socket
        unable to send its close); a writer still stuck after ``CLOSE_TIMEOUT`` (a client that
        stopped reading) is cancelled.
        """
        if self.close_request is not None or self._aborted:
            return
        self._aborted = True
        self.closed = True
        self.close_code = code
        self._outbox.clear()
        self._outbox.append(_Close(code, reason))
        self._wake()
        log.info("socket_dropped", conn=self.id, code=code, reason=reason)
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._force_close, code, reason)

    def _force_close(self, code: int, reason: str) -> None:
        if self.close_request is not None:
            return
        if self._writer is not None:
            self._writer.cancel()
        self._request_close(code, reason)

    async def stop(self) -> None:
        """Called by the reader when the socket is done: end the writer."""
        self.closed = True
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _wake(self) -> None:
        idle = self._idle
        if idle is not None and not idle.done():
            idle.set_result(None)

    async def _write_loop(self) -> None:
        outbox = self._outbox
        transport = self.transport
        try:
            while True:
                while outbox:
                    item = outbox.popleft()
                    if isinstance(item, bytes):
                        await transport.send_bytes(item)
                    elif isinstance(item, str):
                        await transport.send_text(item)
                    else:
                        self._request_close(item.code, item.reason)
                        return
                self._idle = asyncio.get_running_loop().create_future()
                await self._idle
                self._idle = None
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away: the reader sees it and cleans up
            self.closed = True

    def _request_close(self, code: int, reason: str) -> None:
        # The close is sent by the reader task: some servers (granian) do not deliver a
        # close sent from another task while the reader waits in receive().
        self.close_request = (code, reason)
        if self._reader is not None and not self._reader.done():
            self.reader_cancelled = True
            self._reader.cancel()

    async def finish(self) -> None:
        """In the reader, once it was cancelled by :meth:`close` or :meth:`abort`: close the
        socket with the requested code and reason."""
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        code, reason = self.close_request or (CloseCode.NORMAL, "")
        # First read what the client has already sent, until it pauses: a server that closes
        # a TCP socket with unread data resets it, and the reset can destroy our close frame
        # before the client reads it (a flooding client would never learn why it was cut off).
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                while True:
                    message = await asyncio.wait_for(self.transport.receive(), QUIET_SECONDS)
                    if message["type"] == "websocket.disconnect":
                        return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.transport.close(code, reason)
            # Then read until the client's close reply, for the same reason.
            async with asyncio.timeout(CLOSE_DRAIN_TIMEOUT):
                while (await self.transport.receive())["type"] != "websocket.disconnect":
                    pass
