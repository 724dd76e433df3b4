"""The events socket's wire protocol (version 1) and the close codes of both room sockets.

Every JSON message on ``/ws/rooms/{room_id}/events`` is one of the models below, told apart by
``type``. The web client mirrors this module; a new message touches this file, its handler in
:mod:`codepair.hub.events`, the TypeScript mirror and a test.

Client to server: ``chat.send``, ``signal``, ``activity``, ``ai.ask``, ``ai.insert``.
Server to client: ``welcome`` (always first), ``chat.history`` (right after ``welcome``),
``peer.joined``, ``peer.left``, ``chat.message``, ``signal``, ``room.ended``, ``error``,
``ai.message`` and ``ai.delta`` (the assistant's, docs/ai.md), and any event another feature
broadcasts through :meth:`codepair.hub.Hub.broadcast` (code runs, for example).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

PROTOCOL_VERSION = 1
# How deep a signal's ``data`` may nest (an SDP description or an ICE candidate is 2 deep):
# JSON nested some 250 deep cannot be encoded again to relay it.
MAX_SIGNAL_DEPTH = 16


class CloseCode:
    """WebSocket close codes the hub uses, with the reason it sends alongside."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down
    PROTOCOL_ERROR = 1002  # a malformed Yjs frame
    UNSUPPORTED_DATA = 1003  # text on the binary socket, or binary on the events socket
    POLICY = 1008
    TOO_BIG = 1009  # over max_frame_bytes
    INTERNAL_ERROR = 1011  # the room could not be loaded (database down)
    TRY_AGAIN_LATER = 1013  # the client's outbox overflowed: it could not keep up
    UNAUTHORIZED = 4401  # token revoked or user deactivated while connected
    FORBIDDEN = 4403  # not allowed in this room or this document
    ROOM_ENDED = 4410
    ROOM_FULL = 4429  # max_sockets_per_doc reached
    RATE_LIMITED = 4430  # too many Yjs messages a second
    DOC_FULL = 4413  # an update would take its document over its size cap (doccaps.py)


class ErrorCode:
    """``code`` values of ``error`` messages."""

    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_PEER = "unknown_peer"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"
    INTERNAL = "internal_error"
    AI_OFF = "ai_off"  # the assistant is not configured, or off in this room
    AI_FAILED = "ai_failed"  # the model failed while answering (also in the ai.message)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- client to server -------------------------------------------------------------------


class ChatSend(_Message):
    type: Literal["chat.send"]
    text: str = Field(min_length=1)


def _shallow(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse ``data`` nested deeper than :data:`MAX_SIGNAL_DEPTH`."""
    level: list[Any] = [data]
    for _ in range(MAX_SIGNAL_DEPTH):
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, dict | list)
        ]
        if not level:
            return data
    raise ValueError(f"nested deeper than {MAX_SIGNAL_DEPTH} levels")


class SignalSend(_Message):
    """An SDP offer or answer or an ICE candidate for one peer; never stored."""

    type: Literal["signal"]
    to: str = Field(min_length=1, max_length=64)
    data: Annotated[dict[str, Any], AfterValidator(_shallow)]


class ActivitySend(_Message):
    """A signal from the candidate's browser (a paste, the tab losing or regaining focus).

    Only the kind and a size come from the client: the time and the actor are the server's
    (the token's), so nobody can make an event about someone else or at another moment.
    """

    type: Literal["activity"]
    kind: Literal["paste", "focus_lost", "focus_returned"]
    chars: int | None = Field(default=None, ge=0, le=10_000_000)
    # Whether a paste came from outside the editor (the browser knows; the server cannot).
    external: bool | None = None


class AiAsk(_Message):
    """A question to the room's AI assistant (docs/ai.md). The answer streams back as
    ``ai.delta`` pieces and one ``ai.message``; ``private`` (interviewers only) keeps the
    question and its answer from the candidate."""

    type: Literal["ai.ask"]
    text: str = Field(min_length=1, max_length=100_000)  # the configured cap is checked too
    include_code: bool = False
    private: bool = False


class AiInsert(_Message):
    """Code taken from an answer into the editor ("insert at cursor"), for the record."""

    type: Literal["ai.insert"]
    id: str = Field(min_length=1, max_length=24)  # the answer's message id
    text: str = Field(min_length=1, max_length=20_000)


ClientMessages = ChatSend | SignalSend | ActivitySend | AiAsk | AiInsert
ClientMessage = Annotated[ClientMessages, Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[ClientMessages] = TypeAdapter(ClientMessage)
CLIENT_TYPES = frozenset({"chat.send", "signal", "activity", "ai.ask", "ai.insert"})


# --- server to client -------------------------------------------------------------------


class Peer(_Message):
    peer_id: str
    name: str
    role: str  # lead, interviewer or candidate


class IceServer(_Message):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    version: int = PROTOCOL_VERSION
    peer_id: str
    role: str
    room_role: str  # owner, co, lead or candidate
    peers: list[Peer]
    ice_servers: list[IceServer]


class Author(_Message):
    name: str
    role: str


class ChatEntry(_Message):
    id: int
    author: Author
    text: str
    sent_at: datetime


class ChatHistory(_Message):
    type: Literal["chat.history"] = "chat.history"
    messages: list[ChatEntry]


class ChatMessageOut(_Message):
    type: Literal["chat.message"] = "chat.message"
    message: ChatEntry


class PeerJoined(_Message):
    type: Literal["peer.joined"] = "peer.joined"
    peer: Peer


class PeerLeft(_Message):
    type: Literal["peer.left"] = "peer.left"
    peer_id: str


class SignalOut(_Message):
    type: Literal["signal"] = "signal"
    from_: str = Field(serialization_alias="from")
    data: dict[str, Any]


class ActivityOut(_Message):
    """An activity signal as interviewers' sockets get it (never candidates')."""

    type: Literal["activity"] = "activity"
    kind: str
    peer_id: str
    name: str
    at: datetime
    chars: int | None = None
    external: bool | None = None
    away_seconds: float | None = None  # focus_returned: how long the tab was away


class RoomEnded(_Message):
    type: Literal["room.ended"] = "room.ended"


class Error(_Message):
    type: Literal["error"] = "error"
    code: str
    message: str


def encode(message: _Message) -> str:
    """The JSON text frame for a server message."""
    return message.model_dump_json(by_alias=True)
