"""Scorecards (one per interviewer per room) and the organization's default criteria.

Every room endpoint refuses candidates (403), people with no part in the room (404) and
requests without a token (401); see :mod:`codepair.domain.reports.scorecards` for who sees what.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from codepair.api.bounds import IdPath
from codepair.api.deps import CurrentLead, CurrentUser, DbSession
from codepair.api.errors import errors
from codepair.api.schemas.reports import (
    CriteriaIn,
    CriteriaOut,
    CriterionOut,
    ScorecardIn,
    ScorecardList,
    ScorecardOut,
    ScorecardStatusList,
    WaitingList,
    WaitingRoom,
)
from codepair.domain.interviews import rooms
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.reports import scorecards
from codepair.security.tokens import Principal

router = APIRouter(tags=["scorecards"])

# Drafts save as the interviewer types (one write per pause): generous, but bounded.
WRITES_PER_MINUTE = 240


def _limit_writes(request: Request, principal: Principal) -> None:
    limiter: RateLimiter | None = getattr(request.app.state, "scorecard_limiter", None)
    if limiter is None:
        limiter = request.app.state.scorecard_limiter = RateLimiter(WRITES_PER_MINUTE, 60)
    limiter.hit(str(principal.user_id))


@router.get("/api/rooms/{room_id}/scorecards")
async def list_scorecards(room_id: str, principal: CurrentUser, db: DbSession) -> ScorecardList:
    """Your own card always, the others' once yours is submitted; a lead sees all."""
    room, _ = await rooms.room_for(db, principal, room_id)
    return ScorecardList.model_validate(await scorecards.visible_cards(db, principal, room))


@router.put("/api/rooms/{room_id}/scorecards/me", responses=errors(409, 429))
async def save_my_scorecard(
    room_id: str, body: ScorecardIn, principal: CurrentUser, db: DbSession, request: Request
) -> ScorecardOut:
    """Save your draft (409 once submitted)."""
    _limit_writes(request, principal)
    room, _ = await rooms.room_for(db, principal, room_id)
    card = await scorecards.save_draft(
        db,
        principal,
        room,
        ratings=[scorecards.RatingIn(r.criterion, r.score, r.comment) for r in body.ratings],
        recommendation=body.recommendation,
        summary=body.summary,
        fields=body.model_fields_set,
    )
    return ScorecardOut.model_validate(await scorecards.card_for(db, card))


@router.post("/api/rooms/{room_id}/scorecards/me/submit", responses=errors(409))
async def submit_my_scorecard(room_id: str, principal: CurrentUser, db: DbSession) -> ScorecardOut:
    """Lock your card (422 without a recommendation); the others' cards become visible."""
    room, _ = await rooms.room_for(db, principal, room_id)
    card = await scorecards.submit(db, principal, room)
    return ScorecardOut.model_validate(await scorecards.card_for(db, card))


@router.post("/api/rooms/{room_id}/scorecards/{user_id}/reopen", responses=errors(409))
async def reopen_scorecard(
    room_id: str, user_id: IdPath, principal: CurrentLead, db: DbSession
) -> ScorecardOut:
    """A lead turns a submitted card back into a draft its author can change."""
    room, _ = await rooms.room_for(db, principal, room_id)
    card = await scorecards.reopen(db, room, user_id)
    return ScorecardOut.model_validate(await scorecards.card_for(db, card))


@router.get("/api/scorecard-criteria")
async def read_default_criteria(principal: CurrentUser, db: DbSession) -> CriteriaOut:
    """The organization's default criteria, which every room's rubric includes."""
    rows = await scorecards.default_criteria(db)
    return CriteriaOut(
        items=[CriterionOut(criterion=r.criterion, description=r.description) for r in rows]
    )


@router.put("/api/scorecard-criteria")
async def replace_default_criteria(
    body: CriteriaIn, principal: CurrentLead, db: DbSession
) -> CriteriaOut:
    """Leads set the default criteria, in order; cards already written keep theirs."""
    await scorecards.replace_default_criteria(
        db, [(item.criterion, item.description) for item in body.items]
    )
    return await read_default_criteria(principal, db)


@router.get("/api/scorecards/status")
async def scorecard_status(
    principal: CurrentUser,
    db: DbSession,
    room_id: Annotated[list[str], Query(max_length=100)],
) -> ScorecardStatusList:
    """For the dashboard: each room's "n of m submitted", your card's state, and the
    recommendations once you may see them. Rooms you may not see are left out."""
    visible = await scorecards.rooms_visible(db, principal, [r[:24] for r in room_id])
    return ScorecardStatusList.model_validate(
        {"items": await scorecards.status_for_rooms(db, principal, visible)}
    )


@router.get("/api/scorecards/waiting")
async def waiting_for_me(principal: CurrentUser, db: DbSession) -> WaitingList:
    """Ended interviews of yours whose scorecard you have not submitted."""
    items = await scorecards.waiting_for(db, principal)
    return WaitingList(
        items=[
            WaitingRoom(
                room_id=r.id, title=r.title, candidate_name=r.candidate_name, ended_at=r.ended_at
            )
            for r in items
        ]
    )
