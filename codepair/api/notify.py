"""Tell open sockets about changes, only once the change is committed.

Following Zulip's ``send_event_on_commit``: a room that failed to end must not close anyone's
socket. The hub (``app.state.hub``) spreads each notice to every instance.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request

from codepair.bus import publish_room_ended, publish_user_revoked

log = structlog.get_logger("codepair.notify")

Callback = Callable[[], Awaitable[None]]


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
    hub = getattr(request.app.state, "hub", None)
    bus = getattr(request.app.state, "bus", None)
    if hub is not None:
        after_commit(request, lambda: hub.room_ended(room_id))
    elif bus is not None:  # a core-only process: the peers hear it on the bus
        after_commit(request, lambda: publish_room_ended(bus, room_id))


def after_commit_user_revoked(request: Request, user_id: int) -> None:
    hub = getattr(request.app.state, "hub", None)
    bus = getattr(request.app.state, "bus", None)
    if hub is not None:
        after_commit(request, lambda: hub.user_revoked(user_id))
    elif bus is not None:  # a core-only process: the peers hear it on the bus
        after_commit(request, lambda: publish_user_revoked(bus, user_id))
