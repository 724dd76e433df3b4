"""Interview rooms: who may see and change them, their invites, and the candidate's way in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Row,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from codepair.config import Settings
from codepair.db.models.accounts import User
from codepair.db.models.interviews import Invite, Room, RoomInterviewer
from codepair.domain.errors import Conflict, Forbidden, Gone, NotFound
from codepair.domain.interviews.access import RoomRole, room_role
from codepair.domain.record import timeline
from codepair.security.tokens import (
    Principal,
    issue_candidate_token,
    new_id,
    new_invite_token,
)

RoomStatus = Literal["scheduled", "live", "ended"]

ROOM_NOT_FOUND = "Room not found"


def status_of(room: Room, now: datetime | None = None) -> RoomStatus:
    """Ended once ended; scheduled while its start is ahead and nobody has joined; else live."""
    return status_at(room.ended_at, room.started_at, room.scheduled_at, now or datetime.now(UTC))


def status_at(
    ended_at: datetime | None,
    started_at: datetime | None,
    scheduled_at: datetime | None,
    now: datetime,
) -> RoomStatus:
    """:func:`status_of` from the room's three times (for rows read without the ORM)."""
    if ended_at is not None:
        return "ended"
    if started_at is None and scheduled_at is not None and scheduled_at > now:
        return "scheduled"
    return "live"


def current_invite(room: Room) -> Invite | None:
    live = [i for i in room.invites if i.revoked_at is None]
    return max(live, key=lambda i: i.id) if live else None


def _with_people() -> list[Any]:
    return [
        joinedload(Room.owner),
        selectinload(Room.interviewers).joinedload(RoomInterviewer.user),
        selectinload(Room.invites),
    ]


@dataclass(frozen=True)
class RoomFilter:
    status: RoomStatus | None = None
    q: str | None = None
    kind: Literal["live", "take_home"] | None = None
    limit: int = 20
    offset: int = 0


async def load_room(db: AsyncSession, room_id: str) -> Room:
    room = await db.scalar(
        select(Room)
        .where(Room.id == room_id)
        .options(*_with_people())
        .execution_options(populate_existing=True)
    )
    if room is None:
        raise NotFound(ROOM_NOT_FOUND)
    return room


async def room_for(
    db: AsyncSession, principal: Principal, room_id: str, *, interviewer: bool = True
) -> tuple[Room, RoomRole]:
    """The room and the principal's part in it.

    A room the principal may not see answers 404, not 403, so ids of other people's rooms
    cannot be probed. With ``interviewer`` (the default) candidates are refused too.
    """
    role = await room_role(db, principal, room_id)
    if role is None:
        raise NotFound(ROOM_NOT_FOUND)
    if interviewer and role == "candidate":
        raise Forbidden("Candidates cannot do this")
    return await load_room(db, room_id), role


async def create_room(
    db: AsyncSession,
    owner: Principal,
    *,
    candidate_name: str,
    title: str,
    scheduled_at: datetime | None,
    duration_minutes: int,
    language: str,
) -> Room:
    assert owner.user_id is not None
    room = Room(
        id=new_id(),
        owner_id=owner.user_id,
        candidate_name=candidate_name.strip(),
        title=title.strip(),
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        language=language,
    )
    db.add(room)
    db.add(Invite(room_id=room.id, token=new_invite_token()))
    await db.flush()
    return await load_room(db, room.id)


async def end_room(db: AsyncSession, room: Room) -> bool:
    """End the room; True when it ended now (and sockets must be told)."""
    if room.ended_at is not None:
        return False
    room.ended_at = datetime.now(UTC)
    await db.flush()
    # Who ended it is in the audit log; the timeline shows the moment.
    await timeline.add_event(
        db, room.id, "ended", actor_name=None, actor_role=None, at=room.ended_at
    )
    return True


async def rotate_invite(db: AsyncSession, room: Room) -> Room:
    """A new invite link; the old link and the candidate tokens from it stop working."""
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    now = datetime.now(UTC)
    for invite in room.invites:
        if invite.revoked_at is None:
            invite.revoked_at = now
    db.add(Invite(room_id=room.id, token=new_invite_token()))
    await db.flush()
    return await load_room(db, room.id)


async def add_interviewer(db: AsyncSession, room: Room, user_id: int) -> Room:
    user = await db.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("User not found")
    if user.id == room.owner_id or any(ri.user_id == user_id for ri in room.interviewers):
        raise Conflict("This user already interviews in this room")
    db.add(RoomInterviewer(room_id=room.id, user_id=user_id))
    await db.flush()
    return await load_room(db, room.id)


async def remove_interviewer(db: AsyncSession, room: Room, user_id: int) -> Room:
    link = await db.get(RoomInterviewer, (room.id, user_id))
    if link is None:
        raise NotFound("This user is not a co-interviewer of this room")
    await db.delete(link)
    await db.flush()
    return await load_room(db, room.id)


@dataclass(frozen=True)
class CandidatePass:
    room_id: str
    token: str
    name: str


# The join path, as prebuilt statements (ADR 8): the live invite with its room in one
# query, and the room's start stamped only the first time (no ORM entities loaded).
_INVITE_ROOM = (
    select(
        Invite.id.label("invite_id"), Room.id, Room.candidate_name, Room.ended_at, Room.kind,
        Room.ai_assistant,
    )
    .join(Room, Room.id == Invite.room_id)
    .where(Invite.token == bindparam("token"), Invite.revoked_at.is_(None))
)
_START = (
    update(Room)
    .where(Room.id == bindparam("room_id"), Room.started_at.is_(None))
    .values(started_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


async def check_invite(db: AsyncSession, invite_token: str) -> Row[*tuple[Any, ...]]:
    """The live invite's id with its open room's id, candidate name and end, or
    :class:`NotFound` / :class:`Gone`."""
    found = (await db.execute(_INVITE_ROOM, {"token": invite_token})).one_or_none()
    if found is None:
        raise NotFound("This invite link is not valid")
    if found.ended_at is not None:
        raise Gone("This interview has ended")
    return found


async def join(
    db: AsyncSession, settings: Settings, invite_token: str, name: str | None
) -> CandidatePass:
    """Turn an invite token into a candidate token for that one room."""
    found = await check_invite(db, invite_token)
    display = (name or "").strip() or found.candidate_name
    # The candidate is here: the interview is live (from the first join on).
    await db.execute(_START, {"room_id": found.id, "now": datetime.now(UTC)})
    token = issue_candidate_token(
        settings.signing_key(),
        room_id=found.id,
        invite_id=found.invite_id,
        name=display,
        ttl=timedelta(hours=settings.candidate_token_hours),
    )
    return CandidatePass(room_id=found.id, token=token, name=display)


def may_manage_interviewers(role: RoomRole) -> bool:
    return role in ("owner", "lead")
