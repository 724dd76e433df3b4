"""Tell open sockets about changes, only once the change is committed.

Following Zulip's ``send_event_on_commit``: a room that failed to end must not close anyone's
socket. :class:`RoomNotices` hides where the sockets are: a process that runs the hub tells
it (and the hub tells the other instances over the bus); a core-only process publishes on the
bus, and the peers' hubs act on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import Request

from codepair.bus import (
    Bus,
    publish_candidates_revoked,
    publish_room_ended,
    publish_room_event,
    publish_user_revoked,
)
from codepair.hub.events import wrap_for_interviewers

log = structlog.get_logger("codepair.notify")

Callback = Callable[[], Awaitable[None]]


class RoomNotices:
    """Where core sends what the room sockets must learn. Without hub or bus: nowhere."""

    def __init__(self, hub: Any | None, bus: Bus | None) -> None:
        self.hub = hub
        self.bus = bus

    async def room_ended(self, room_id: str) -> None:
        if self.hub is not None:
            await self.hub.notices.room_ended(room_id)
        elif self.bus is not None:
            await publish_room_ended(self.bus, room_id)

    async def user_revoked(
        self, user_id: int, *, session_id: str | None = None, keep_session: str | None = None
    ) -> None:
        if self.hub is not None:
            await self.hub.notices.user_revoked(
                user_id, session_id=session_id, keep_session=keep_session
            )
        elif self.bus is not None:
            await publish_user_revoked(
                self.bus, user_id, session_id=session_id, keep_session=keep_session
            )

    async def candidates_revoked(self, room_id: str) -> None:
        if self.hub is not None:
            await self.hub.notices.candidates_revoked(room_id)
        elif self.bus is not None:
            await publish_candidates_revoked(self.bus, room_id)

    async def broadcast(self, room_id: str, event: dict[str, Any]) -> None:
        """Send an event (a run's progress, say) to everyone in the room."""
        if self.hub is not None:
            await self.hub.broadcast(room_id, event)
        elif self.bus is not None:
            await publish_room_event(self.bus, room_id, event)

    async def room_message(
        self, room_id: str, message: dict[str, Any], interviewers_only: bool = False
    ) -> None:
        """Send ``message`` (with a ``type``) on the room's events sockets: to everyone, or
        with ``interviewers_only`` to every socket but the candidate's."""
        if self.hub is not None:
            await self.hub.broadcast(room_id, message, interviewers_only=interviewers_only)
        elif self.bus is not None:
            await publish_room_event(
                self.bus, room_id, wrap_for_interviewers(message, interviewers_only)
            )


def notices(request: Request) -> RoomNotices:
    found: RoomNotices | None = getattr(request.app.state, "notices", None)
    return found if found is not None else RoomNotices(None, None)


def after_commit(request: Request, callback: Callback) -> None:
    pending: list[Callback] = request.state.__dict__.setdefault("after_commit", [])
    pending.append(callback)


async def run_after_commit(request: Request) -> None:
    pending: list[Callback] = request.state.__dict__.pop("after_commit", [])
    for callback in pending:
        try:
            await callback()
        except Exception as exc:  # one failed notice must not fail the committed request
            log.error("after_commit_failed", error=type(exc).__name__, exc_info=exc)


def after_commit_room_ended(request: Request, room_id: str) -> None:
    after_commit(request, lambda: notices(request).room_ended(room_id))


def after_commit_user_revoked(
    request: Request,
    user_id: int,
    *,
    session_id: str | None = None,
    keep_session: str | None = None,
) -> None:
    after_commit(
        request,
        lambda: notices(request).user_revoked(
            user_id, session_id=session_id, keep_session=keep_session
        ),
    )


def after_commit_candidates_revoked(request: Request, room_id: str) -> None:
    after_commit(request, lambda: notices(request).candidates_revoked(room_id))
