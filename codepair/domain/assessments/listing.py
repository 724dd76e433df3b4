"""The dashboard's list of take-homes: state, time left, grade; sorted by score or by date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Float, and_, case, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from codepair.config import Settings
from codepair.db.models.assessments import TakeHome
from codepair.db.models.interviews import Room, RoomInterviewer
from codepair.domain.assessments import attempts
from codepair.domain.interviews import rooms
from codepair.security.tokens import Principal

Sort = Literal["score", "created"]


@dataclass(frozen=True)
class TakeHomeFilter:
    sort: Sort = "created"
    limit: int = 50
    offset: int = 0


def _score() -> Any:
    return case(
        (and_(TakeHome.graded_at.is_not(None), TakeHome.total > 0),
         cast(TakeHome.passed, Float) / cast(TakeHome.total, Float)),
        else_=None,
    )


async def list_take_homes(
    db: AsyncSession, settings: Settings, principal: Principal, flt: TakeHomeFilter
) -> tuple[list[dict[str, Any]], int]:
    """The take-homes the user may see: every one for a lead, else those they own or
    interview in. ``score`` puts the best first and the ungraded last."""
    stmt = select(TakeHome, Room).join(Room, Room.id == TakeHome.room_id)
    if not principal.is_lead:
        co = exists().where(RoomInterviewer.room_id == Room.id,
                            RoomInterviewer.user_id == principal.user_id)
        stmt = stmt.where(or_(Room.owner_id == principal.user_id, co))
    total = await db.scalar(select(func.count()).select_from(stmt.subquery()))
    if flt.sort == "score":
        score = _score()
        stmt = stmt.order_by(score.is_(None), score.desc(), Room.created_at.desc())
    else:
        stmt = stmt.order_by(Room.created_at.desc(), Room.id)
    page = stmt.options(joinedload(Room.owner), selectinload(Room.invites))
    rows = (await db.execute(page.limit(flt.limit).offset(flt.offset))).unique().all()
    items = []
    for th, room in rows:
        invite = rooms.current_invite(room)
        state = attempts.state_of(th, datetime.now(UTC))
        token = invite.token if invite is not None and state in ("not_started", "in_progress") \
            else None
        items.append({
            **attempts.attempt_view(th, settings, candidate=False),
            "title": room.title,
            "candidate_name": room.candidate_name,
            "candidate_email": room.candidate_email,
            "language": room.language,
            "created_at": room.created_at,
            "owner": {"id": room.owner.id, "name": room.owner.name, "email": room.owner.email},
            "invite_url": f"{settings.public_url}/join/{token}" if token else None,
        })
    return items, int(total or 0)
