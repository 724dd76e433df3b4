"""The events side of a room: who is here, chat, and WebRTC signaling between peers.

Transport-free like :mod:`codepair.hub.docroom`: it takes decoded JSON text from a connection
and puts JSON text into connections' outboxes. Chat is the only thing that waits (for the
database), under a per-room lock so that everyone sees messages in the order they were stored.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from pydantic import ValidationError

from codepair import metrics
from codepair.config import Settings
from codepair.hub.connection import Connection
from codepair.hub.ice import ice_servers
from codepair.hub.limits import SlidingWindow, TokenBucket
from codepair.hub.protocol import (
    CLIENT_MESSAGE,
    CLIENT_TYPES,
    ActivityOut,
    ActivitySend,
    AiAsk,
    AiInsert,
    ChatHistory,
    ChatMessageOut,
    ChatSend,
    Error,
    ErrorCode,
    Peer,
    PeerJoined,
    PeerLeft,
    SignalOut,
    SignalSend,
    Welcome,
    encode,
)
from codepair.hub.recorder import Recorder
from codepair.hub.store import ChatStore
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.hub")

CHAT_HISTORY_ON_JOIN = 200
# On the bus, an event for interviewers' sockets only travels wrapped in one of this type,
# so that an instance that does not know the event still cannot hand it to a candidate.
INTERVIEWERS_ONLY = "interviewers_only"


def wrap_for_interviewers(event: dict[str, Any], interviewers_only: bool) -> dict[str, Any]:
    """``event`` as published on the bus: wrapped when it is for interviewers only."""
    return {"type": INTERVIEWERS_ONLY, "event": event} if interviewers_only else event


def _json_kind(value: Any) -> str:
    """What a JSON value is, to name a ``type`` that is not a string."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else "a number"


class Asker(Protocol):
    """The AI assistant as the events socket uses it (codepair.domain.ai.assistant, wired in
    by the app): it checks and answers on its own; ``tell`` sends an error to the asker."""

    async def ask(
        self,
        room_id: str,
        principal: Principal,
        text: str,
        *,
        include_code: bool,
        private: bool,
        tell: Callable[[str, str], None],
    ) -> None: ...

    async def inserted(
        self,
        room_id: str,
        principal: Principal,
        message_id: str,
        text: str,
        *,
        tell: Callable[[str, str], None],
    ) -> None: ...


# Instances announce their peers every keep-alive tick (10 s); a silent instance's peers are
# dropped after this long.
PRESENCE_TIMEOUT = 35.0


class EventPeer:
    """A connection on the events socket, with its own rate caps."""

    def __init__(self, conn: Connection, settings: Settings) -> None:
        self.conn = conn
        self.messages = TokenBucket(settings.yjs_messages_per_second, settings.yjs_message_burst)
        self.chat = SlidingWindow(settings.chat_messages_per_window, settings.chat_window_seconds)
        self.activity = SlidingWindow(
            settings.activity_messages_per_window, settings.activity_window_seconds
        )
        self.focus_lost_at: float | None = None  # monotonic, for "left the tab for 40 s"

    @property
    def peer(self) -> Peer:
        p = self.conn.principal
        return Peer(peer_id=self.conn.peer_id, name=p.name, role=p.role)

    def error(self, code: str, message: str) -> None:
        self.conn.send(encode(Error(code=code, message=message)))


class EventRoom:
    """The events sockets of one interview room."""

    def __init__(self, room_id: str, settings: Settings, chat: ChatStore) -> None:
        self.room_id = room_id
        self.settings = settings
        self.chat_store = chat
        self.peers: dict[str, EventPeer] = {}
        # Peers on other hub instances (with a bus), by peer id, with the instance they are on.
        self.remote_peers: dict[str, tuple[str, Peer]] = {}
        # Set by the hub when there is a bus: sends an event to the room on other instances.
        self.publish: Callable[[dict[str, Any]], None] | None = None
        self._heard: dict[str, float] = {}  # instance -> when it last said anything here
        # Set by the hub: where joins, leaves and activity go on the room's timeline.
        self.recorder: Recorder | None = None
        # Set by the hub: the AI assistant, when the app has one.
        self.assistant: Asker | None = None
        self._chat_lock = asyncio.Lock()

    async def join(self, conn: Connection) -> EventPeer:
        """Welcome the newcomer (with peers, ICE servers and chat history); tell the others."""
        peer = EventPeer(conn, self.settings)
        history = await self.chat_store.history(self.room_id, CHAT_HISTORY_ON_JOIN)
        # From here to the end there is no await: the peer list in the welcome and the
        # peer.joined/left that follow it cannot miss or repeat anyone.
        welcome = Welcome(
            peer_id=conn.peer_id,
            role=conn.principal.role,
            room_role=conn.room_role,
            peers=[p.peer for p in self.peers.values()]
            + [peer for _origin, peer in self.remote_peers.values()],
            ice_servers=ice_servers(self.settings, conn.peer_id),
        )
        conn.send(encode(welcome))
        conn.send(encode(ChatHistory(messages=history)))
        joined = PeerJoined(peer=peer.peer)
        text = encode(joined)
        for other in self.peers.values():
            other.conn.send(text)
        self.peers[conn.peer_id] = peer
        self._share(joined.model_dump())
        self._record("joined", peer, {"peer_id": conn.peer_id, "who": conn.principal.identity})
        return peer

    def leave(self, peer: EventPeer) -> None:
        if self.peers.pop(peer.conn.peer_id, None) is None:
            return
        left = PeerLeft(peer_id=peer.conn.peer_id)
        self.broadcast(encode(left))
        self._share(left.model_dump())
        self._record("left", peer, {"peer_id": peer.conn.peer_id})

    def broadcast(self, text: str) -> None:
        for p in self.peers.values():
            p.conn.send(text)

    async def receive(self, peer: EventPeer, text: str) -> None:
        """Handle one text frame; a bad one gets an ``error`` and the socket stays open."""
        if not peer.messages.take():
            peer.error(ErrorCode.RATE_LIMITED, "Too many messages; slow down")
            return
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to read
            peer.error(ErrorCode.INVALID_JSON, "Not valid JSON")
            return
        kind = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(kind, str) or kind not in CLIENT_TYPES:
            shown = kind[:40] if isinstance(kind, str) else _json_kind(kind)
            peer.error(ErrorCode.UNKNOWN_TYPE, f"Unknown message type: {shown}")
            return
        try:
            message = CLIENT_MESSAGE.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"][1:])
            peer.error(ErrorCode.INVALID_MESSAGE, f"{kind}: {where} {first['msg']}".strip())
            return
        metrics.MESSAGES_IN.labels(kind=kind).inc()
        try:
            if isinstance(message, ChatSend):
                await self._chat(peer, message)
            elif isinstance(message, ActivitySend):
                self._activity(peer, message)
            elif isinstance(message, AiAsk | AiInsert):
                await self._ai(peer, message)
            else:
                self._signal(peer, message)
        except Exception:  # a bug: this message fails, the socket and the room go on
            log.exception("event_failed", room=self.room_id, type=kind)
            peer.error(ErrorCode.INTERNAL, "The message could not be handled")

    async def _chat(self, peer: EventPeer, message: ChatSend) -> None:
        text = message.text.strip()
        if not text:
            peer.error(ErrorCode.INVALID_MESSAGE, "chat.send: text is empty")
            return
        if len(text) > self.settings.chat_max_chars:
            peer.error(
                ErrorCode.TOO_LARGE,
                f"Chat messages are limited to {self.settings.chat_max_chars} characters",
            )
            return
        if not peer.chat.hit():
            peer.error(ErrorCode.RATE_LIMITED, "Too many chat messages; wait a few seconds")
            return
        async with self._chat_lock:
            try:
                entry = await self.chat_store.add(self.room_id, peer.conn.principal, text)
            except Exception as exc:
                log.error("chat_store_failed", room=self.room_id, error=type(exc).__name__)
                peer.error(ErrorCode.INTERNAL, "The message could not be saved; try again")
                return
            out = ChatMessageOut(message=entry)
            self.broadcast(encode(out))
            self._share(out.model_dump(mode="json"))

    async def _ai(self, peer: EventPeer, message: AiAsk | AiInsert) -> None:
        if self.assistant is None:
            peer.error(ErrorCode.AI_OFF, "The AI assistant is not available on this server")
            return
        principal = peer.conn.principal
        if isinstance(message, AiInsert):
            if not peer.activity.hit():
                peer.error(ErrorCode.RATE_LIMITED, "Too many activity messages")
                return
            await self.assistant.inserted(
                self.room_id, principal, message.id, message.text, tell=peer.error
            )
            return
        await self.assistant.ask(
            self.room_id,
            principal,
            message.text,
            include_code=message.include_code,
            private=message.private,
            tell=peer.error,
        )

    def _record(self, type: str, peer: EventPeer, data: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.record(self.room_id, type, peer.conn.principal, data)

    def _activity(self, peer: EventPeer, message: ActivitySend) -> None:
        """Stamp, record and show interviewers a signal from a browser (time and actor are
        the server's; only the kind and a size come from the message)."""
        if not peer.activity.hit():
            peer.error(ErrorCode.RATE_LIMITED, "Too many activity messages")
            return
        data: dict[str, Any] = {"peer_id": peer.conn.peer_id}
        now = time.monotonic()
        if message.kind == "paste":
            data["chars"] = message.chars or 0
            if message.external is not None:
                data["external"] = message.external
        elif message.kind == "focus_lost":
            peer.focus_lost_at = now
        elif peer.focus_lost_at is not None:
            data["away_seconds"] = round(now - peer.focus_lost_at, 1)
            peer.focus_lost_at = None
        stamp = datetime.now(UTC)
        if self.recorder is not None:
            stamp = self.recorder.record(self.room_id, message.kind, peer.conn.principal, data)
        out = ActivityOut(
            kind=message.kind,
            peer_id=peer.conn.peer_id,
            name=peer.conn.principal.name,
            at=stamp,
            chars=data.get("chars"),
            external=data.get("external"),
            away_seconds=data.get("away_seconds"),
        )
        text = out.model_dump_json(exclude_none=True)
        self.to_interviewers(text)
        self._share({**out.model_dump(mode="json", exclude_none=True)})

    def to_interviewers(self, text: str) -> None:
        """Send to the sockets of everyone but candidates."""
        for p in self.peers.values():
            if not p.conn.is_candidate:
                p.conn.send(text)

    def _signal(self, peer: EventPeer, message: SignalSend) -> None:
        target = self.peers.get(message.to)
        if target is not None and target is not peer:
            target.conn.send(encode(SignalOut(from_=peer.conn.peer_id, data=message.data)))
        elif message.to in self.remote_peers:
            self._share(
                {
                    "type": "signal",
                    "to": message.to,
                    "from": peer.conn.peer_id,
                    "data": message.data,
                }
            )
        else:
            peer.error(ErrorCode.UNKNOWN_PEER, f"No peer {message.to[:64]} in this room")

    def _share(self, event: dict[str, Any]) -> None:
        if self.publish is not None:
            self.publish(event)

    def deliver(self, event: dict[str, Any], *, interviewers_only: bool = False) -> None:
        """An event from another feature: to everyone (or to everyone but the candidate),
        as JSON."""
        text = json.dumps(event, separators=(",", ":"), default=str)
        if not interviewers_only:
            self.broadcast(text)
            return
        for p in self.peers.values():
            if not p.conn.is_candidate:
                p.conn.send(text)

    def deliver_remote(self, event: dict[str, Any], *, origin: str) -> None:
        """An event published by another hub instance for this room."""
        kind = event.get("type")
        try:
            self._heard[origin] = time.monotonic()
            if kind == "presence.query":
                # A newcomer instance: tell it who is here.
                self.announce()
            elif kind == "presence.here":
                # The full list of that instance's peers: add the new, drop the missing (a
                # peer.left may have been lost in a bus gap).
                listed = [Peer.model_validate(raw) for raw in event.get("peers", [])]
                ids = {peer.peer_id for peer in listed}
                for peer_id, (where, _peer) in list(self.remote_peers.items()):
                    if where == origin and peer_id not in ids:
                        self._remote_left(peer_id)
                for peer in listed:
                    self._remote_joined(peer, origin)
            elif kind == "peer.joined":
                self._remote_joined(Peer.model_validate(event["peer"]), origin)
            elif kind == "peer.left":
                self._remote_left(str(event["peer_id"]))
            elif kind == "activity":  # interviewers only, as on the instance it came from
                self.to_interviewers(json.dumps(event, separators=(",", ":"), default=str))
            elif kind == "signal":
                target = self.peers.get(str(event["to"]))
                if target is not None:
                    out = SignalOut(from_=str(event["from"]), data=dict(event["data"]))
                    target.conn.send(encode(out))
            elif kind == INTERVIEWERS_ONLY:
                self.deliver(dict(event["event"]), interviewers_only=True)
            else:
                self.deliver(event)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("bus_bad_event", room=self.room_id, type=str(kind), error=str(exc))

    def announce(self) -> None:
        """Tell the other instances who is here (answer to a query, and a heartbeat)."""
        if self.peers:
            here = [p.peer.model_dump() for p in self.peers.values()]
            self._share({"type": "presence.here", "peers": here})

    def expire_remote(self) -> None:
        """Forget peers whose instance has not been heard from (it died, or left the bus)."""
        now = time.monotonic()
        for peer_id, (origin, _peer) in list(self.remote_peers.items()):
            if now - self._heard.get(origin, now) > PRESENCE_TIMEOUT:
                self._remote_left(peer_id)

    def _remote_left(self, peer_id: str) -> None:
        if self.remote_peers.pop(peer_id, None) is not None:
            self.broadcast(encode(PeerLeft(peer_id=peer_id)))

    def _remote_joined(self, peer: Peer, origin: str) -> None:
        if peer.peer_id in self.peers or peer.peer_id in self.remote_peers:
            return
        self.remote_peers[peer.peer_id] = (origin, peer)
        self.broadcast(encode(PeerJoined(peer=peer)))
