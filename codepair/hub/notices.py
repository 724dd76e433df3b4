"""Notices that close sockets: a room ended or deleted, a user's access or an invite revoked.

Core sends each one after its transaction commits (``codepair/api/notify.py``). It acts on this
instance's sockets at once and, with other instances, goes over the bus, where
:class:`~codepair.hub.bridge.HubBridge` calls the ``*_here`` half on each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from codepair.bus import CANDIDATES_REVOKED, ROOM_ENDED, USER_REVOKED
from codepair.hub.admission import AdmissionCache
from codepair.hub.connection import Connection
from codepair.hub.protocol import CloseCode, RoomEnded, encode

if TYPE_CHECKING:
    from codepair.hub.docroom import DocRoom
    from codepair.hub.events import EventRoom

log = structlog.get_logger("codepair.hub")


class ControlPublisher(Protocol):
    """Where a notice goes for the other instances (the bus bridge)."""

    def publish_control(self, channel: str, event: dict[str, Any]) -> None: ...


class NoticesHost(Protocol):
    """What notices act on: this instance's rooms, its admissions, and its way to the others."""

    @property
    def admissions(self) -> AdmissionCache: ...
    @property
    def docs(self) -> dict[tuple[str, str], DocRoom]: ...
    @property
    def events(self) -> dict[str, EventRoom]: ...
    @property
    def bridge(self) -> ControlPublisher | None: ...
    @property
    def room_closers(self) -> list[Callable[[str], None]]: ...
    @property
    def connection_sources(self) -> list[Callable[[], list[Connection]]]: ...


class Notices:
    """What the hub does when core says a room or someone's access is gone."""

    def __init__(self, hub: NoticesHost) -> None:
        self.hub = hub

    async def room_ended(self, room_id: str) -> None:
        """Tell everyone, then close the candidate's sockets (interviewers keep the record)."""
        self.room_ended_here(room_id)
        if self.hub.bridge is not None:
            self.hub.bridge.publish_control(ROOM_ENDED, {"type": ROOM_ENDED, "room_id": room_id})

    def room_ended_here(self, room_id: str) -> None:
        hub = self.hub
        hub.admissions.forget_room(room_id)
        events = hub.events.get(room_id)
        if events is not None:
            events.broadcast(encode(RoomEnded()))
            for peer in list(events.peers.values()):
                if peer.conn.is_candidate:
                    peer.conn.close(CloseCode.ROOM_ENDED, "room ended")
        for (rid, _doc), room in list(hub.docs.items()):
            if rid == room_id:
                for conn in list(room.clients):
                    if conn.is_candidate:
                        conn.close(CloseCode.ROOM_ENDED, "room ended")
        for closer in hub.room_closers:
            closer(room_id)

    def room_deleted_here(self, room_id: str) -> None:
        """The room is gone from the database: every socket of it closes, nothing is kept."""
        hub = self.hub
        log.warning("room_deleted_dropped", room=room_id)
        hub.admissions.forget_room(room_id)
        events = hub.events.get(room_id)
        if events is not None:
            events.broadcast(encode(RoomEnded()))
            for peer in list(events.peers.values()):
                peer.conn.close(CloseCode.ROOM_ENDED, "room deleted")
        for (rid, _doc), room in list(hub.docs.items()):
            if rid == room_id:
                room.take_pending()
                for conn in list(room.clients):
                    conn.close(CloseCode.ROOM_ENDED, "room deleted")
        for closer in hub.room_closers:
            closer(room_id)

    async def user_revoked(
        self, user_id: int, *, session_id: str | None = None, keep_session: str | None = None
    ) -> None:
        """Close a user's sockets at once: all of them (deactivated, deleted), those of one
        sign-in (``session_id``: logout), or all but one (``keep_session``: password change)."""
        self.user_revoked_here(user_id, session_id=session_id, keep_session=keep_session)
        if self.hub.bridge is not None:
            event: dict[str, Any] = {"type": USER_REVOKED, "user_id": user_id}
            if session_id is not None:
                event["session_id"] = session_id
            if keep_session is not None:
                event["keep_session"] = keep_session
            self.hub.bridge.publish_control(USER_REVOKED, event)

    def user_revoked_here(
        self, user_id: int, *, session_id: str | None = None, keep_session: str | None = None
    ) -> None:
        self.hub.admissions.forget_user(user_id)
        for conn in self._connections():
            p = conn.principal
            if p.user_id != user_id:
                continue
            if session_id is not None and p.session_id != session_id:
                continue
            if keep_session is not None and p.session_id == keep_session:
                continue
            conn.close(CloseCode.UNAUTHORIZED, "access revoked")

    async def candidates_revoked(self, room_id: str) -> None:
        """The invite link was replaced: the candidate's sockets close (their token is dead);
        a candidate with the new link joins again."""
        self.candidates_revoked_here(room_id)
        if self.hub.bridge is not None:
            self.hub.bridge.publish_control(
                USER_REVOKED, {"type": CANDIDATES_REVOKED, "room_id": room_id}
            )

    def candidates_revoked_here(self, room_id: str) -> None:
        self.hub.admissions.forget_room(room_id)
        for conn in self._connections():
            if conn.is_candidate and conn.principal.room_id == room_id:
                conn.close(CloseCode.UNAUTHORIZED, "invite link replaced")

    def _connections(self) -> list[Connection]:
        hub = self.hub
        conns = [c for room in hub.docs.values() for c in room.clients]
        conns += [p.conn for room in hub.events.values() for p in room.peers.values()]
        for source in hub.connection_sources:
            conns += source()
        return conns
