"""What the integrations do when an interview room changes: webhooks and invitations.

The rooms router calls one function here per change, in the request's transaction, so the
room code knows nothing of webhooks or mail; everything queued here leaves after commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models import Room
from codepair.domain import webhooks

CONTACT_FIELDS = ("candidate_email", "candidate_timezone")


def _set_contact(room: Room, fields: dict[str, Any]) -> None:
    for name in CONTACT_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(room, name, str(value).strip() or None if value is not None else None)


async def room_created(
    db: AsyncSession, settings: Settings, room: Room, fields: dict[str, Any]
) -> None:
    """A new room: ``interview.created``, and the invitations."""
    _set_contact(room, fields)
    await db.flush()
    await webhooks.emit(db, "interview.created", webhooks.room_event_data(room, settings))


async def room_updated(
    db: AsyncSession, settings: Settings, room: Room, changes: dict[str, Any]
) -> None:
    """A PATCH: the contact fields, and an updated invitation when the time changed."""
    _set_contact(room, changes)
    await db.flush()


async def room_ended(db: AsyncSession, settings: Settings, room: Room) -> None:
    await webhooks.emit(db, "interview.ended", webhooks.room_event_data(room, settings))


async def room_deleted(db: AsyncSession, settings: Settings, room: Room) -> None:
    """Before the room is deleted: cancel what was sent about it."""
