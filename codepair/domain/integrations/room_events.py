"""What the integrations do when an interview room changes: webhooks and invitations.

The rooms router calls one function here per change, in the request's transaction, so the
room code knows nothing of webhooks or mail; everything queued here leaves after commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.accounts import User
from codepair.db.models.interviews import Room
from codepair.domain.integrations import mail, webhooks

CONTACT_FIELDS = ("candidate_email", "candidate_timezone")
# Changes the candidate's calendar must hear about.
CALENDAR_FIELDS = ("scheduled_at", "duration_minutes", "title")


def _set_contact(room: Room, fields: dict[str, Any]) -> None:
    for name in CONTACT_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(room, name, (str(value).strip() or None) if value is not None else None)


def _upcoming(room: Room) -> bool:
    """Scheduled ahead and not begun: ending or deleting it cancels the calendar event."""
    return (
        room.scheduled_at is not None
        and room.started_at is None
        and room.scheduled_at > datetime.now(UTC)
    )


async def room_created(
    db: AsyncSession, settings: Settings, room: Room, fields: dict[str, Any]
) -> None:
    """A new room: ``interview.created``, and the candidate's invitation."""
    _set_contact(room, fields)
    await db.flush()
    await webhooks.emit(db, "interview.created", webhooks.room_event_data(room, settings))
    if room.candidate_email:
        await mail.queue_room_mail(db, settings, room, "invitation")


async def room_updated(
    db: AsyncSession, settings: Settings, room: Room, changes: dict[str, Any]
) -> None:
    """A PATCH, called before it is flushed: the contact fields, then a new invitation for a
    new address (and a cancellation for the old one), or an update when the time changed."""
    state = inspect(room)
    old_email = room.candidate_email
    _set_contact(room, changes)
    moved = any(state.attrs[f].history.has_changes() for f in CALENDAR_FIELDS)
    was_scheduled = state.attrs["scheduled_at"].history.deleted not in ([], [None])
    await db.flush()
    if room.ended_at is not None:
        return
    if room.candidate_email != old_email:
        if old_email:
            await mail.queue_room_mail(
                db, settings, room, "cancel", only=[(room.candidate_name, old_email)]
            )
        if room.candidate_email:
            await mail.queue_room_mail(
                db,
                settings,
                room,
                "invitation",
                only=[(room.candidate_name, room.candidate_email)],
            )
    if moved:
        if room.scheduled_at is None and was_scheduled:
            await mail.queue_room_mail(db, settings, room, "cancel")
        else:
            await mail.queue_room_mail(db, settings, room, "update")


async def room_ended(db: AsyncSession, settings: Settings, room: Room) -> None:
    """``interview.ended``; an interview ended before it began is a cancellation."""
    await webhooks.emit(db, "interview.ended", webhooks.room_event_data(room, settings))
    if _upcoming(room):
        await mail.queue_room_mail(db, settings, room, "cancel")


async def room_deleted(db: AsyncSession, settings: Settings, room: Room) -> None:
    """Before the room is deleted: cancel an upcoming interview (mail kept past the room)."""
    if room.ended_at is None and _upcoming(room):
        await mail.queue_room_mail(db, settings, room, "cancel", keep_with_room=False)


async def interviewer_added(
    db: AsyncSession, settings: Settings, room: Room, user_id: int
) -> None:
    """A co-interviewer gets the invitation (with the calendar event) too."""
    user = await db.get(User, user_id)
    if user is not None and room.ended_at is None:
        await mail.queue_room_mail(db, settings, room, "invitation", only=[(user.name, user.email)])


async def invite_rotated(db: AsyncSession, settings: Settings, room: Room) -> None:
    """The emailed link stopped working: the candidate gets the new one."""
    if room.candidate_email and room.ended_at is None:
        await mail.queue_room_mail(
            db, settings, room, "update", only=[(room.candidate_name, room.candidate_email)]
        )
