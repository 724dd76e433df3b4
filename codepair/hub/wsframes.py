"""RFC 6455, server side: the opening handshake and the frames, as pure functions.

No I/O here: :mod:`codepair.hub.wire` feeds bytes in and writes what comes out. Only what a
server needs: client frames must be masked, no extension is negotiated (so the reserved bits
must be clear), and a message over the cap is refused from its header, before its payload
is buffered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_HEADER_16 = struct.Struct("!BBH")
_HEADER_64 = struct.Struct("!BBQ")
# Close codes a peer may send (RFC 6455 section 7.4): the defined ones and the private range.
_VALID_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                1013, 1014})
MAX_REQUEST_BYTES = 16 * 1024  # an opening handshake larger than this is not a browser's


class FrameError(Exception):
    """The client broke the protocol; close the socket with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _py_apply_mask(data: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


apply_mask: Callable[[bytes | bytearray | memoryview, bytes], bytes]
try:  # websockets ships a C routine for the XOR; it comes with uvicorn[standard]
    from websockets.speedups import apply_mask
except ImportError:  # the pure-Python one is tested directly
    apply_mask = _py_apply_mask


# --- frames -----------------------------------------------------------------------------


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final frame (servers never mask)."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return _HEADER_16.pack(0x80 | opcode, 126, n) + payload
    return _HEADER_64.pack(0x80 | opcode, 127, n) + payload


def close_payload(code: int, reason: str) -> bytes:
    """A close frame's payload: the code, then a reason cut to fit a control frame."""
    return code.to_bytes(2, "big") + reason.encode()[:123]


def parse_close(payload: bytes) -> int:
    """The code a client's close frame carries (1005 when it carries none)."""
    if not payload:
        return 1005
    if len(payload) < 2:
        raise FrameError(1002, "bad close frame")
    code = int.from_bytes(payload[:2], "big")
    if code not in _VALID_CLOSE_CODES and not 3000 <= code <= 4999:
        raise FrameError(1002, "bad close code")
    try:
        payload[2:].decode()
    except UnicodeDecodeError:
        raise FrameError(1007, "close reason is not UTF-8") from None
    return code


class FrameReader:
    """Turns the bytes a client sends into whole messages and control frames.

    :meth:`read` returns ``(opcode, payload)`` per message (fragments joined; the opcode is
    the first fragment's) and per control frame, or None until more bytes arrive. It raises
    :class:`FrameError` when the client breaks the protocol or a message passes
    ``max_message`` bytes: checked on each frame's header, so an oversized frame is refused
    before its payload is held in memory.
    """

    __slots__ = ("_buf", "_fragments", "_fragments_len", "_fragments_op", "max_message")

    def __init__(self, max_message: int) -> None:
        self.max_message = max_message
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self._fragments_len = 0
        self._fragments_op = 0  # 0: no fragmented message in progress

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def read(self) -> tuple[int, bytes] | None:
        buf = self._buf
        while True:
            n = len(buf)
            if n < 2:
                return None
            b0 = buf[0]
            b1 = buf[1]
            if b0 & 0x70:
                raise FrameError(1002, "reserved bits set")
            if not b1 & 0x80:
                raise FrameError(1002, "client frames must be masked")
            opcode = b0 & 0x0F
            fin = b0 & 0x80
            length = b1 & 0x7F
            start = 2
            if length == 126:
                if n < 4:
                    return None
                length = (buf[2] << 8) | buf[3]
                start = 4
            elif length == 127:
                if n < 10:
                    return None
                length = int.from_bytes(buf[2:10], "big")
                start = 10
            if opcode >= OP_CLOSE:
                if opcode > OP_PONG:
                    raise FrameError(1002, "unknown opcode")
                if not fin or length > 125:
                    raise FrameError(1002, "bad control frame")
            elif opcode > OP_BINARY:
                raise FrameError(1002, "unknown opcode")
            elif opcode == OP_CONTINUATION:
                if not self._fragments_op:
                    raise FrameError(1002, "continuation without a message")
            elif self._fragments_op:
                raise FrameError(1002, "new message inside a fragmented one")
            if opcode < OP_CLOSE and self._fragments_len + length > self.max_message:
                raise FrameError(1009, "frame too large")
            end = start + 4 + length
            if n < end:
                return None
            mask = bytes(buf[start : start + 4])
            payload = apply_mask(memoryview(buf)[start + 4 : end], mask)
            del buf[:end]
            if opcode >= OP_CLOSE or (fin and opcode):
                return opcode, payload  # a control frame, or a whole message in one frame
            if opcode:
                self._fragments_op = opcode
            self._fragments.append(payload)
            self._fragments_len += length
            if fin:
                opcode = self._fragments_op
                message = b"".join(self._fragments)
                self._fragments.clear()
                self._fragments_len = 0
                self._fragments_op = 0
                return opcode, message


# --- the opening handshake --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """An upgrade request as the server read it: path, raw query string, lowercased headers."""

    method: str
    path: str
    query: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class HandshakeError(Exception):
    """Not a WebSocket opening handshake we can accept; answer with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def parse_request(raw: bytes) -> Request:
    """Parse ``raw`` (request line and headers, up to the blank line)."""
    try:
        text = raw.decode("latin-1")
        head, _, _ = text.partition("\r\n\r\n")
        line, *header_lines = head.split("\r\n")
        method, target, _version = line.split(" ")
    except ValueError:
        raise HandshakeError(400, "Malformed request") from None
    headers: dict[str, str] = {}
    for header_line in header_lines:
        name, sep, value = header_line.partition(":")
        if not sep:
            raise HandshakeError(400, "Malformed header")
        name = name.strip().lower()
        value = value.strip()
        # Repeated headers are joined as HTTP says; only a few matter here.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    path, _, query = target.partition("?")
    return Request(method, path, query, headers)


def accept_key(request: Request) -> str:
    """Check that ``request`` asks for a WebSocket and return its ``Sec-WebSocket-Accept``."""
    if request.method != "GET":
        raise HandshakeError(405, "WebSocket handshakes use GET")
    upgrade = (request.header("upgrade") or "").lower()
    connection = (request.header("connection") or "").lower()
    if "websocket" not in upgrade or "upgrade" not in _tokens(connection):
        raise HandshakeError(400, "Not a WebSocket upgrade")
    if request.header("sec-websocket-version") != "13":
        raise HandshakeError(426, "Unsupported WebSocket version")
    key = request.header("sec-websocket-key") or ""
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        raise HandshakeError(400, "Bad Sec-WebSocket-Key") from None
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def _tokens(value: str) -> set[str]:
    return {token.strip() for token in value.split(",")}


def switching_protocols(accept: str, extra: list[tuple[bytes, bytes]]) -> bytes:
    """The 101 answer that opens the socket."""
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"upgrade: websocket",
        b"connection: Upgrade",
        b"sec-websocket-accept: " + accept.encode(),
        *(name + b": " + value for name, value in extra),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 426: "Upgrade Required", 503: "Service Unavailable"}


def http_refusal(status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> bytes:
    """A plain HTTP answer (JSON body) that refuses the handshake and ends the connection."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}".encode(),
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
        *(name + b": " + value for name, value in extra),
    ]
    if status == 426:
        lines.append(b"sec-websocket-version: 13")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
