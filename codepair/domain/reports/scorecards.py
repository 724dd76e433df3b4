"""Scorecards: each interviewer's structured judgment of an interview.

One card per interviewer per room: a score from 1 to 4 and a comment on each criterion of the
room's rubric, an overall recommendation and a summary. A card is a draft until its author
submits it; a submitted card is locked until a lead reopens it. Judgments stay independent:
an interviewer sees the others' cards only once their own is submitted (leads see all;
candidates never reach this module).

The rubric is the criteria of the room's questions (the questions module, when present) and
the organization's default criteria, which leads edit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from codepair.db.models.accounts import User
from codepair.db.models.interviews import Room, RoomInterviewer
from codepair.db.models.reports import Scorecard, ScorecardCriterion
from codepair.domain.errors import Conflict, NotFound, Unprocessable
from codepair.security.tokens import Principal

Recommendation = Literal["strong_no", "no", "yes", "strong_yes"]
RECOMMENDATIONS: tuple[Recommendation, ...] = ("strong_no", "no", "yes", "strong_yes")
RECOMMENDATION_LABELS = {
    "strong_no": "Strong no",
    "no": "No",
    "yes": "Yes",
    "strong_yes": "Strong yes",
}
MAX_CRITERIA = 30


def optional_module(name: str) -> Any | None:
    """Another area's module when it is installed here, else None.

    The seam to modules built alongside this one (questions, webhooks, audit, timeline,
    board): each caller asks for the module where it needs it and does without when absent.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module exists and something it imports is missing
            raise
        return None


# --- the rubric -----------------------------------------------------------------------------


async def default_criteria(db: AsyncSession) -> list[ScorecardCriterion]:
    rows = await db.scalars(
        select(ScorecardCriterion).order_by(ScorecardCriterion.position, ScorecardCriterion.id)
    )
    return list(rows.all())


async def replace_default_criteria(db: AsyncSession, items: list[tuple[str, str]]) -> None:
    """Make ``items`` (criterion, description) the organization's default criteria, in order.

    Cards already written keep the criteria they were written against.
    """
    seen: set[str] = set()
    for name, _ in items:
        if name.casefold() in seen:
            raise Unprocessable(f"Criterion {name!r} is listed twice")
        seen.add(name.casefold())
    await db.execute(delete(ScorecardCriterion))
    await db.flush()
    for position, (name, description) in enumerate(items):
        db.add(ScorecardCriterion(criterion=name, description=description, position=position))
    await db.flush()


async def room_rubric(db: AsyncSession, room_id: str) -> list[dict[str, str]]:
    """The room's criteria: its questions' first, in order, then the organization's defaults;
    a criterion named twice (case aside) is listed once."""
    rubric: list[dict[str, str]] = []
    questions = optional_module("codepair.domain.questions.bank")
    if questions is not None and hasattr(questions, "room_rubric"):
        for item in await questions.room_rubric(db, room_id):
            rubric.append(
                {
                    "criterion": str(item["criterion"]),
                    "description": str(item.get("description") or ""),
                    "source": "question",
                }
            )
    for row in await default_criteria(db):
        rubric.append(
            {"criterion": row.criterion, "description": row.description, "source": "default"}
        )
    seen: set[str] = set()
    unique = []
    for item in rubric:
        key = item["criterion"].casefold()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


# --- cards ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingIn:
    criterion: str
    score: int | None
    comment: str


def interviewers_of(room: Room) -> list[User]:
    """The room's owner and co-interviewers (``room`` loaded with its people)."""
    return [room.owner, *(ri.user for ri in room.interviewers)]


def card_out(card: Scorecard, author: User) -> dict[str, Any]:
    return {
        "interviewer": {"id": author.id, "name": author.name},
        "status": card.status,
        "recommendation": card.recommendation,
        "ratings": [
            {
                "criterion": r["criterion"],
                "score": r.get("score"),
                "comment": r.get("comment", ""),
            }
            for r in card.ratings
        ],
        "summary": card.summary,
        "submitted_at": card.submitted_at,
        "updated_at": card.updated_at,
    }


async def card_for(db: AsyncSession, card: Scorecard) -> dict[str, Any]:
    """:func:`card_out` with its author looked up."""
    author = await db.get(User, card.interviewer_id)
    assert author is not None
    return card_out(card, author)


async def _cards(db: AsyncSession, room_id: str) -> list[tuple[Scorecard, User]]:
    rows = await db.execute(
        select(Scorecard, User)
        .join(User, User.id == Scorecard.interviewer_id)
        .where(Scorecard.room_id == room_id)
        .order_by(Scorecard.id)
    )
    return [(card, user) for card, user in rows.tuples().all()]


async def _mine(db: AsyncSession, principal: Principal, room_id: str) -> Scorecard | None:
    return await db.scalar(
        select(Scorecard).where(
            Scorecard.room_id == room_id, Scorecard.interviewer_id == principal.user_id
        )
    )


def _may_see_all(principal: Principal, cards: list[tuple[Scorecard, User]]) -> bool:
    if principal.is_lead:
        return True
    return any(c.interviewer_id == principal.user_id and c.status == "submitted" for c, _ in cards)


async def visible_cards(db: AsyncSession, principal: Principal, room: Room) -> dict[str, Any]:
    """The cards ``principal`` may read in ``room``, with the room's progress and rubric.

    Your own card always; the others' once yours is submitted; a lead sees all.
    """
    cards = await _cards(db, room.id)
    see_all = _may_see_all(principal, cards)
    items = [
        card_out(card, user)
        for card, user in cards
        if see_all or card.interviewer_id == principal.user_id
    ]
    return {
        "items": items,
        "criteria": await room_rubric(db, room.id),
        "progress": _progress(room, [c for c, _ in cards]),
        "others_hidden": not see_all,
    }


def _progress(room: Room, cards: list[Scorecard]) -> dict[str, int]:
    """How many cards are submitted of how many are expected (every interviewer of the room,
    and anyone else who has written one, such as a lead who sat in)."""
    expected = {u.id for u in interviewers_of(room)} | {c.interviewer_id for c in cards}
    submitted = sum(1 for c in cards if c.status == "submitted")
    return {"submitted": submitted, "expected": len(expected)}


async def save_draft(
    db: AsyncSession,
    principal: Principal,
    room: Room,
    *,
    ratings: list[RatingIn],
    recommendation: str | None,
    summary: str | None,
    fields: set[str],
) -> Scorecard:
    """Write the caller's draft (creating it); a submitted card answers 409.

    ``fields`` names what the request set: ``recommendation`` and ``summary`` left out keep
    their stored values. A criterion must be in the room's rubric or already on the card.
    """
    assert principal.user_id is not None
    card = await _mine(db, principal, room.id)
    if card is not None and card.status == "submitted":
        raise Conflict("This scorecard is submitted; a lead can reopen it")
    known = {
        item["criterion"].casefold(): item["criterion"] for item in await room_rubric(db, room.id)
    }
    if card is not None:
        for old in card.ratings:
            known.setdefault(str(old["criterion"]).casefold(), str(old["criterion"]))
    seen: set[str] = set()
    stored: list[dict[str, Any]] = []
    for r in ratings:
        key = r.criterion.casefold()
        if key not in known:
            raise Unprocessable(f"{r.criterion!r} is not a criterion of this interview")
        if key in seen:
            raise Unprocessable(f"{r.criterion!r} is rated twice")
        seen.add(key)
        stored.append({"criterion": known[key], "score": r.score, "comment": r.comment})
    if card is None:
        card = Scorecard(room_id=room.id, interviewer_id=principal.user_id, summary="")
        db.add(card)
    card.ratings = stored
    if "recommendation" in fields:
        card.recommendation = recommendation
    if "summary" in fields:
        card.summary = summary or ""
    card.updated_at = datetime.now(UTC)
    await db.flush()
    return card


async def submit(db: AsyncSession, principal: Principal, room: Room) -> Scorecard:
    """Lock the caller's card; 422 without a recommendation, 409 when already submitted."""
    card = await _mine(db, principal, room.id)
    if card is None:
        raise Unprocessable("Write your scorecard before submitting it")
    if card.status == "submitted":
        raise Conflict("This scorecard is already submitted")
    if card.recommendation is None:
        raise Unprocessable("A scorecard needs a recommendation before it is submitted")
    card.status = "submitted"
    card.submitted_at = datetime.now(UTC)
    await db.flush()
    webhooks = optional_module("codepair.domain.integrations.webhooks")
    if webhooks is not None:
        await webhooks.emit(
            db,
            "scorecard.submitted",
            {
                "room_id": room.id,
                "candidate_name": room.candidate_name,
                "interviewer": {"id": principal.user_id, "name": principal.name},
                "recommendation": card.recommendation,
                "submitted_at": card.submitted_at.isoformat(),
            },
        )
    return card


async def reopen(db: AsyncSession, room: Room, user_id: int) -> Scorecard:
    """Back to draft (a lead's decision): its author may change and submit it again."""
    card = await db.scalar(
        select(Scorecard).where(Scorecard.room_id == room.id, Scorecard.interviewer_id == user_id)
    )
    if card is None:
        raise NotFound("This interviewer has no scorecard in this room")
    if card.status != "submitted":
        raise Conflict("This scorecard is not submitted")
    card.status = "draft"
    card.submitted_at = None
    await db.flush()
    return card


# --- across rooms (the dashboard) -----------------------------------------------------------


async def rooms_visible(db: AsyncSession, principal: Principal, room_ids: list[str]) -> list[Room]:
    """Those of ``room_ids`` the caller may see (a lead: all), with their people, in order."""
    stmt = (
        select(Room)
        .where(Room.id.in_(room_ids))
        .options(
            joinedload(Room.owner), selectinload(Room.interviewers).joinedload(RoomInterviewer.user)
        )
    )
    if not principal.is_lead:
        co = select(RoomInterviewer.room_id).where(RoomInterviewer.user_id == principal.user_id)
        stmt = stmt.where(or_(Room.owner_id == principal.user_id, Room.id.in_(co)))
    found = {r.id: r for r in (await db.scalars(stmt)).all()}
    return [found[i] for i in dict.fromkeys(room_ids) if i in found]


async def status_for_rooms(
    db: AsyncSession, principal: Principal, rooms: list[Room]
) -> list[dict[str, Any]]:
    """Each room's progress, the caller's own card status, and the recommendations when the
    caller may see them (``rooms``: rooms the caller may see, loaded with their people)."""
    if not rooms:
        return []
    rows = await db.execute(
        select(Scorecard, User)
        .join(User, User.id == Scorecard.interviewer_id)
        .where(Scorecard.room_id.in_([r.id for r in rooms]))
        .order_by(Scorecard.id)
    )
    by_room: dict[str, list[tuple[Scorecard, User]]] = {}
    for card, user in rows.tuples().all():
        by_room.setdefault(card.room_id, []).append((card, user))
    out = []
    for room in rooms:
        cards = by_room.get(room.id, [])
        mine = next((c for c, _ in cards if c.interviewer_id == principal.user_id), None)
        see_all = _may_see_all(principal, cards)
        out.append(
            {
                "room_id": room.id,
                **_progress(room, [c for c, _ in cards]),
                "mine": mine.status if mine is not None else None,
                "recommendations": [
                    {
                        "interviewer": {"id": u.id, "name": u.name},
                        "recommendation": c.recommendation,
                    }
                    for c, u in cards
                    if c.status == "submitted"
                ]
                if see_all
                else None,
            }
        )
    return out


async def waiting_for(db: AsyncSession, principal: Principal, limit: int = 50) -> list[Room]:
    """Ended interviews of the caller's (owner or co-interviewer) whose card the caller has
    not submitted, most recently ended first."""
    submitted = select(Scorecard.room_id).where(
        Scorecard.interviewer_id == principal.user_id, Scorecard.status == "submitted"
    )
    co = select(RoomInterviewer.room_id).where(RoomInterviewer.user_id == principal.user_id)
    rows = await db.scalars(
        select(Room)
        .where(
            Room.ended_at.is_not(None),
            or_(Room.owner_id == principal.user_id, Room.id.in_(co)),
            Room.id.not_in(submitted),
        )
        .order_by(Room.ended_at.desc(), Room.id)
        .limit(limit)
    )
    return list(rows.all())
