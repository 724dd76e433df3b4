"""Channel names on the bus, and the room-wide control events.

Per room, ``room_channel`` carries the room's JSON events and ``doc_channel`` each document's
Yjs frames, so an instance subscribes only to the rooms it has sockets in. Two channels are
global and every peer instance subscribes to them:

- ``room.ended``: ``{"type": "room.ended", "room_id": ...}``: close the candidate's sockets
  and tell everyone in the room.
- ``user.revoked``: ``{"type": "user.revoked", "user_id": ..., "session_id"?: ...,
  "keep_session"?: ...}``: close that user's sockets (deactivated or deleted: all; logout: one
  sign-in's; password change: all but the current sign-in's). The same channel carries
  ``{"type": "candidates.revoked", "room_id": ...}`` when a room's invite link is replaced.

Following Zulip's ``send_event_on_commit``, publish these only after the change is committed
(see ``codepair.api.notify``).
"""

from __future__ import annotations

from typing import Final

from codepair.bus.base import Bus
from codepair.bus.envelope import encode_event

ROOM_ENDED: Final = "room.ended"
USER_REVOKED: Final = "user.revoked"
# Sent on the USER_REVOKED channel: a room's invite was replaced, its candidate tokens are dead.
CANDIDATES_REVOKED: Final = "candidates.revoked"


def room_channel(room_id: str) -> str:
    """The channel of a room's JSON events (chat, presence, signaling)."""
    return f"room.{room_id}.events"


def doc_channel(room_id: str, doc: str) -> str:
    """The channel of a room document's Yjs frames (sync and awareness)."""
    return f"room.{room_id}.yjs.{doc}"


def terminal_channel(room_id: str, direction: str) -> str:
    """The channel of a room's shell: ``in`` to the instance that runs it (keystrokes,
    resizes, restarts, who is here), ``out`` from it (output, status, notes to one socket)."""
    return f"room.{room_id}.terminal.{direction}"


def terminal_lease(room_id: str) -> str:
    """The lease naming the instance that runs a room's shell."""
    return f"room.{room_id}.terminal.owner"


async def publish_room_ended(bus: Bus, room_id: str) -> None:
    """Tell every instance that ``room_id`` has ended."""
    await bus.publish(
        ROOM_ENDED, encode_event(bus.instance_id, {"type": ROOM_ENDED, "room_id": room_id})
    )


async def publish_user_revoked(
    bus: Bus, user_id: int, *, session_id: str | None = None, keep_session: str | None = None
) -> None:
    """Tell every instance that ``user_id``'s tokens (or one sign-in's) no longer hold."""
    event: dict[str, object] = {"type": USER_REVOKED, "user_id": user_id}
    if session_id is not None:
        event["session_id"] = session_id
    if keep_session is not None:
        event["keep_session"] = keep_session
    await bus.publish(USER_REVOKED, encode_event(bus.instance_id, event))


async def publish_candidates_revoked(bus: Bus, room_id: str) -> None:
    """Tell every instance that the candidate tokens of ``room_id`` no longer hold."""
    await bus.publish(
        USER_REVOKED,
        encode_event(bus.instance_id, {"type": CANDIDATES_REVOKED, "room_id": room_id}),
    )


async def publish_room_event(bus: Bus, room_id: str, event: dict[str, object]) -> None:
    """Send ``event`` to the events sockets of ``room_id`` on every instance."""
    await bus.publish(room_channel(room_id), encode_event(bus.instance_id, event))
