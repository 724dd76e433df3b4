"""Strict parsing of y-websocket frames.

pycrdt's :class:`~pycrdt.Decoder` trusts lengths: a truncated frame yields a short payload
instead of an error. Frames come from the network, so every length is checked here and any
frame that is not exactly one well-formed message raises :class:`ProtocolError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pycrdt import YMessageType, YSyncMessageType

# An awareness message with no states: a no-op for the client, and the keep-alive that
# satisfies the y-websocket client's 30 s "no message received" reconnect timer.
KEEPALIVE = bytes([YMessageType.AWARENESS, 1, 0])
# y-websocket message types beyond SYNC (0) and AWARENESS (1).
AUTH = 2
QUERY_AWARENESS = 3

_MAX_VARUINT_BYTES = 8  # 56 bits: more than any length or client id (53-bit) needs
# An awareness state is a name, a colour and a cursor or a pointer: well under a KiB. A frame
# carries the sender's own state, or (y-websocket echoes what it hears) those of the room.
MAX_AWARENESS_STATE_BYTES = 64 * 1024
MAX_AWARENESS_ENTRIES = 256


class ProtocolError(ValueError):
    """The frame is not a valid y-websocket message."""


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it."""
    try:
        byte = data[pos]
        if byte < 0x80:  # one byte: most of them
            return byte, pos + 1
        value = byte & 0x7F
        shift = 7
        for i in range(pos + 1, pos + _MAX_VARUINT_BYTES):
            byte = data[i]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value, i + 1
            shift += 7
    except IndexError:
        raise ProtocolError("truncated varint") from None
    raise ProtocolError("varint too long")


def read_payload(data: bytes, pos: int) -> tuple[bytes, int]:
    """A length-prefixed byte string at ``pos`` and the position after it."""
    length, pos = read_var_uint(data, pos)
    end = pos + length
    if end > len(data):
        raise ProtocolError("truncated payload")
    return data[pos:end], end


def sync_payload(frame: bytes) -> tuple[int, bytes]:
    """The sync sub-type and its payload of a SYNC frame (``frame[0] == 0``)."""
    if len(frame) < 2:
        raise ProtocolError("truncated sync message")
    sub = frame[1]
    if sub not in (
        YSyncMessageType.SYNC_STEP1,
        YSyncMessageType.SYNC_STEP2,
        YSyncMessageType.SYNC_UPDATE,
    ):
        raise ProtocolError("unknown sync message type")
    payload, end = read_payload(frame, 2)
    if end != len(frame):
        raise ProtocolError("trailing bytes after sync message")
    return sub, payload


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    removed: bool  # the state is null: the client is gone


def awareness_payload(frame: bytes) -> tuple[bytes, list[AwarenessEntry]]:
    """The payload of an AWARENESS frame and the entries it carries, all checked."""
    payload, end = read_payload(frame, 1)
    if end != len(frame):
        raise ProtocolError("trailing bytes after awareness message")
    count, pos = read_var_uint(payload, 0)
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("too many awareness states in one message")
    entries: list[AwarenessEntry] = []
    for _ in range(count):
        client_id, pos = read_var_uint(payload, pos)
        clock, pos = read_var_uint(payload, pos)
        raw, pos = read_payload(payload, pos)
        if len(raw) > MAX_AWARENESS_STATE_BYTES:
            raise ProtocolError("awareness state too large")
        try:
            state = json.loads(raw) if raw else None
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise ProtocolError("awareness state is not JSON") from exc
        if state is not None and not isinstance(state, dict):
            raise ProtocolError("awareness state is not an object")
        entries.append(AwarenessEntry(client_id, clock, state is None))
    if pos != len(payload):
        raise ProtocolError("trailing bytes in awareness update")
    return payload, entries


def check_counts(payload: bytes, min_entry_bytes: int) -> None:
    """Refuse a state vector or update whose leading entry count cannot fit in it.

    Yrs reserves memory for the count it reads before it reads the entries: a 16-byte frame
    claiming 2**28 of them costs half a second of CPU. Every entry takes at least
    ``min_entry_bytes`` (2 in a state vector: client and clock; 3 in an update's client block:
    struct count, client, clock), so a larger count is a lie.
    """
    if not payload:
        raise ProtocolError("empty payload")
    count, pos = read_var_uint(payload, 0)
    if count * min_entry_bytes > len(payload) - pos:
        raise ProtocolError("entry count larger than the payload")
