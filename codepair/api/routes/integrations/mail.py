"""The invitations and calendar updates sent about a room, with their delivery status."""

from __future__ import annotations

from fastapi import APIRouter

from codepair.api.deps import CurrentUser, DbSession, SettingsDep
from codepair.api.schemas.integrations import MailOut, RoomMailList
from codepair.domain.integrations import mail
from codepair.domain.interviews import rooms

router = APIRouter(tags=["mail"])


@router.get("/api/rooms/{room_id}/mail")
async def room_mail(
    room_id: str, principal: CurrentUser, db: DbSession, settings: SettingsDep
) -> RoomMailList:
    """For the room's interviewers and leads: every message, newest first (the last 100)."""
    await rooms.room_for(db, principal, room_id)
    return RoomMailList(
        configured=mail.mail_configured(settings),
        items=[MailOut.model_validate(m) for m in await mail.room_messages(db, room_id)],
    )
