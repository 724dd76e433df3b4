"""What travels on the bus: JSON events and Yjs frames, each stamped with its origin instance.

The origin lets an instance skip its own messages (Redis delivers them back to the publisher)
and lets the hub persist each Yjs update once, on the instance whose socket received it.

Wire layout (all lengths are one byte)::

    version=1 | kind (1 = event, 2 = yjs) | len | origin | len | doc | body

``body`` is compact JSON for events and the y-protocol message, unchanged, for Yjs frames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

_VERSION: Final = 1
_EVENT: Final = 1
_YJS: Final = 2


class EnvelopeError(ValueError):
    """A payload that is not a well-formed envelope."""


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """A JSON event (chat message, presence, signal, control event...) from ``origin``."""

    origin: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class YjsEnvelope:
    """One y-protocol message (sync or awareness) for document ``doc``, from ``origin``."""

    origin: str
    doc: str
    frame: bytes


Envelope = EventEnvelope | YjsEnvelope


def _short(value: str, what: str) -> bytes:
    raw = value.encode()
    if len(raw) > 255:
        raise ValueError(f"{what} is longer than 255 bytes")
    return bytes((len(raw),)) + raw


def encode_event(origin: str, event: Mapping[str, Any]) -> bytes:
    """An event as bus bytes. Raises ``TypeError``/``ValueError`` for what JSON cannot carry.

    ``allow_nan=False``: NaN is not JSON, and a browser's ``JSON.parse`` would reject it.
    """
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return bytes((_VERSION, _EVENT)) + _short(origin, "origin") + b"\x00" + body.encode()


def encode_yjs(origin: str, doc: str, frame: bytes) -> bytes:
    """A y-protocol message for ``doc`` as bus bytes."""
    if not isinstance(frame, bytes | bytearray | memoryview):
        raise TypeError(f"a Yjs frame is bytes, not {type(frame).__name__}")
    return bytes((_VERSION, _YJS)) + _short(origin, "origin") + _short(doc, "doc") + bytes(frame)


def decode_envelope(payload: bytes) -> Envelope:
    """The envelope in ``payload``; raises :class:`EnvelopeError` if it is malformed."""
    try:
        version, kind = payload[0], payload[1]
        if version != _VERSION:
            raise EnvelopeError(f"unknown envelope version {version}")
        at = 2
        origin_len = payload[at]
        origin = payload[at + 1 : at + 1 + origin_len].decode()
        at += 1 + origin_len
        doc_len = payload[at]
        doc = payload[at + 1 : at + 1 + doc_len].decode()
        at += 1 + doc_len
        body = payload[at:]
    except (IndexError, UnicodeDecodeError) as exc:
        raise EnvelopeError("truncated or garbled envelope") from exc
    if kind == _YJS:
        return YjsEnvelope(origin=origin, doc=doc, frame=bytes(body))
    if kind == _EVENT:
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise EnvelopeError("event body is not JSON") from exc
        if not isinstance(event, dict):
            raise EnvelopeError("event body is not a JSON object")
        return EventEnvelope(origin=origin, event=event)
    raise EnvelopeError(f"unknown envelope kind {kind}")
