"""What a room's terminal sends over the bus between instances (docs/terminal.md, "Scale-out").

Two channels a room (:func:`codepair.bus.terminal_channel`): ``in`` carries what the other
instances' sockets do to the instance that runs the shell (keystrokes, resizes, restarts,
read-only, who is here); ``out`` carries what that instance sends back (output and text frames
for everyone, frames for one socket, and who runs the shell now).

Wire layout (lengths are one byte)::

    kind | len | origin instance | len | socket | body

``body`` is the bytes of keystrokes and output as they are, a text frame's UTF-8, or compact
JSON for the small control messages. Keystrokes and output are never base64'd or parsed.

:class:`RemoteSocket` is a socket of another instance as the shell's instance sees it: a
:class:`~codepair.hub.connection.Connection` whose ``send`` goes back over the bus to that
one socket, so the shell's rules (who may restart, read-only, the last typist's size, one
answer to a program's query) hold for it as for a socket of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import structlog

from codepair.bus import Bus
from codepair.hub.connection import Connection
from codepair.security.tokens import Principal
from codepair.terminal import protocol

log = structlog.get_logger("codepair.terminal")

# At most this many messages per publish round trip.
PUBLISH_BATCH: Final = 256

# in: another instance -> the shell's instance
ATTACH: Final = 1  # json {principal, role, gen}: a socket opened (it gets the recent output)
DETACH: Final = 2  # a socket closed
KEYS: Final = 3  # bytes: keystrokes
RESIZE: Final = 4  # json {cols, rows}
RESTART: Final = 5
READONLY: Final = 6  # json {on}
HERE: Final = 7  # json [{socket, principal, role, gen, size}]: every socket of the origin
# out: the shell's instance -> the others
OUTPUT: Final = 20  # bytes: output for every socket
TEXT: Final = 21  # a text frame for every socket (status, ...)
TO_BYTES: Final = 22  # bytes for one socket (the recent output)
TO_TEXT: Final = 23  # a text frame for one socket (its status, an error)
OWNER: Final = 24  # the origin runs the shell now: tell it who is here
GONE: Final = 25  # json {reason}: the origin stopped the shell and gave the lease up


class RelayError(ValueError):
    """A payload that is not a well-formed relay message."""


@dataclass(frozen=True, slots=True)
class RelayMessage:
    kind: int
    origin: str
    socket: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise RelayError("body is not JSON") from exc


def _short(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > 255:
        raise ValueError("relay field longer than 255 bytes")
    return bytes((len(raw),)) + raw


def encode(kind: int, origin: str, socket: str = "", body: bytes | str = b"") -> bytes:
    raw = body.encode() if isinstance(body, str) else body
    return bytes((kind,)) + _short(origin) + _short(socket) + raw


def encode_json(kind: int, origin: str, socket: str, data: Any) -> bytes:
    return encode(kind, origin, socket, json.dumps(data, separators=(",", ":")))


def decode(payload: bytes) -> RelayMessage:
    try:
        kind = payload[0]
        origin, at = _field(payload, 1)
        socket, at = _field(payload, at)
    except (IndexError, UnicodeDecodeError) as exc:
        raise RelayError("truncated or garbled relay message") from exc
    return RelayMessage(kind, origin, socket, bytes(payload[at:]))


def size_of(size: Any) -> tuple[int, int]:
    """A relayed ``{cols, rows}``, checked as the socket's own instance checked it."""
    cols, rows = int(size["cols"]), int(size["rows"])
    if not (1 <= cols <= protocol.MAX_COLS and 1 <= rows <= protocol.MAX_ROWS):
        raise RelayError("size out of range")
    return cols, rows


def _field(payload: bytes, at: int) -> tuple[str, int]:
    size = payload[at]
    end = at + 1 + size
    if end > len(payload):
        raise IndexError("field past the end")
    return payload[at + 1 : end].decode(), end


def principal_to_json(principal: Principal) -> dict[str, Any]:
    return dataclasses.asdict(principal)


def principal_from_json(data: Any) -> Principal:
    if not isinstance(data, dict):
        raise RelayError("a principal is a JSON object")
    names = {f.name for f in dataclasses.fields(Principal)}
    try:
        return Principal(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise RelayError("incomplete principal") from exc


class RemoteSocket(Connection):
    """A socket on another instance, attached to the shell here; what it is sent goes back
    over the bus to that socket alone (``deliver(origin, socket, message)``)."""

    relayed: ClassVar[bool] = True

    def __init__(
        self,
        principal: Principal,
        room_role: str,
        *,
        origin: str,
        socket: str,
        deliver: Callable[[str, str, bytes | str], None],
        generation: int = 0,
    ) -> None:
        super().__init__(principal, room_role)
        self.origin = origin
        self.socket = socket
        self.generation = generation  # its instance's count of screen resets (bus gaps)
        self._deliver = deliver

    def send(self, message: bytes | str) -> None:
        if not self.closed:
            self._deliver(self.origin, self.socket, message)

    def close(self, code: int, reason: str) -> None:
        # The socket's own instance closes it (room ended, revoked): it hears of that itself.
        self.closed = True

    def abort(self, code: int, reason: str) -> None:
        self.closed = True


class Outbox:
    """What a room's terminal publishes, in order, by one task (a keystroke never waits for
    the bus; a burst of output goes in one round trip)."""

    def __init__(self, bus: Bus, room_id: str) -> None:
        self.bus = bus
        self.room_id = room_id
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

    def put(self, channel: str, payload: bytes) -> None:
        self._queue.put_nowait((channel, payload))

    async def sent(self) -> None:
        """Wait until everything put so far has been handed to the bus."""
        await self._queue.join()

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < PUBLISH_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.bus.publish_many(batch)
            except Exception as exc:  # the bus reports transport loss itself, as Gaps
                log.error("terminal_publish_failed", room=self.room_id, exc_info=exc)
            for _ in batch:
                self._queue.task_done()
