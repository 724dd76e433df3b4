"""Who is asking, and what they may do in a room.

The token's signature proves who issued it; this module checks what only the database knows:
the user is still active, the sign-in session has not been revoked (logout, password change,
deactivation), and a candidate's room has not ended and their invite has not been rotated.
REST requests and socket handshakes both go through :func:`authenticate`.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models import AuthSession, Invite, Room, RoomInterviewer, User
from codepair.domain.errors import Unauthorized
from codepair.security.tokens import InvalidToken, Principal, decode_token

RoomRole = Literal["owner", "co", "lead", "candidate"]

INVALID_TOKEN = "Invalid or expired token"


async def authenticate(db: AsyncSession, settings: Settings, token: str) -> Principal:
    """The principal behind ``token``, or :class:`Unauthorized`."""
    try:
        principal = decode_token(settings.signing_key(), token)
    except InvalidToken as exc:
        raise Unauthorized(INVALID_TOKEN) from exc
    if principal.kind == "access":
        row = (
            await db.execute(
                select(User.is_active, User.role, User.name, AuthSession.revoked_at)
                .join(AuthSession, AuthSession.user_id == User.id)
                .where(User.id == principal.user_id, AuthSession.id == principal.session_id)
            )
        ).one_or_none()
        if row is None or not row.is_active or row.revoked_at is not None:
            raise Unauthorized(INVALID_TOKEN)
        # The role and name may have changed since the token was issued: the database wins.
        return Principal(
            kind="access",
            role=str(row.role),
            name=row.name,
            user_id=principal.user_id,
            session_id=principal.session_id,
        )
    candidate = (
        await db.execute(
            select(Room.ended_at, Invite.revoked_at)
            .join(Invite, Invite.room_id == Room.id)
            .where(Room.id == principal.room_id, Invite.id == principal.invite_id)
        )
    ).one_or_none()
    if candidate is None or candidate.ended_at is not None or candidate.revoked_at is not None:
        raise Unauthorized(INVALID_TOKEN)
    return principal


async def room_role(db: AsyncSession, principal: Principal, room_id: str) -> RoomRole | None:
    """The principal's part in the room, or None when they have no business there.

    A candidate belongs only to the room their token names. Leads see every room.
    """
    if principal.is_candidate:
        return "candidate" if principal.room_id == room_id else None
    owner_id = await db.scalar(select(Room.owner_id).where(Room.id == room_id))
    if owner_id is None:
        return None
    if owner_id == principal.user_id:
        return "owner"
    if principal.is_lead:
        return "lead"
    is_co = await db.scalar(
        select(RoomInterviewer.user_id).where(
            RoomInterviewer.room_id == room_id, RoomInterviewer.user_id == principal.user_id
        )
    )
    return "co" if is_co is not None else None
