"""The room's conversation with the model, as stored: messages, threads, usage, transcript.

A room has one shared thread (the candidate's, which the interviewers read live, and any
interviewer question not marked private) and one private thread per interviewer. Every
message is a row of ``ai_messages`` and an ``ai`` event on the timeline, written in the same
transaction, so the record and the assistant's memory never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.ai import AiMessage
from codepair.db.models.interviews import Room
from codepair.domain.ai.prompt import Role, Turn
from codepair.domain.errors import NotFound
from codepair.domain.record.timeline import add_event
from codepair.security.tokens import Principal, new_id

ASSISTANT_NAME = "AI assistant"
MAX_TRANSCRIPT = 2000


@dataclass(frozen=True, slots=True)
class RoomAi:
    """A room's assistant setting as the assistant needs it."""

    on: bool
    prompt: str
    ended: bool


async def room_ai(db: AsyncSession, room_id: str) -> RoomAi:
    row = (
        await db.execute(
            select(Room.ai_assistant, Room.ai_prompt, Room.ended_at).where(Room.id == room_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Room not found")
    return RoomAi(
        on=row.ai_assistant == "on", prompt=row.ai_prompt or "", ended=row.ended_at is not None
    )


def _thread(room_id: str, asker: str, private: bool) -> Any:
    cond = AiMessage.room_id == room_id
    if private:
        return cond & AiMessage.private.is_(True) & (AiMessage.asker == asker)
    return cond & AiMessage.private.is_(False)


async def history(
    db: AsyncSession, room_id: str, asker: str, *, private: bool, limit: int
) -> list[Turn]:
    """The last ``limit`` messages of the thread a question goes to, oldest first (answers
    that failed are left out: the model never said them)."""
    if limit <= 0:
        return []
    rows = (
        await db.execute(
            select(AiMessage.role, AiMessage.text)
            .where(_thread(room_id, asker, private), AiMessage.status != "error")
            .order_by(AiMessage.at.desc(), AiMessage.id.desc())
            .limit(limit)
        )
    ).all()
    turns = [Turn(role=r.role, text=r.text) for r in reversed(rows)]
    while turns and turns[0].role == "assistant":  # a conversation starts with a question
        turns.pop(0)
    return turns


@dataclass(frozen=True, slots=True)
class Usage:
    """Questions asked and tokens spent, by one person and by the whole room."""

    person_prompts: int
    person_tokens: int
    room_prompts: int
    room_tokens: int


async def usage(db: AsyncSession, room_id: str, asker: str) -> Usage:
    tokens = AiMessage.prompt_tokens + AiMessage.completion_tokens
    is_question = case((AiMessage.role == "user", 1), else_=0)
    mine = case((AiMessage.asker == asker, 1), else_=0)
    row = (
        await db.execute(
            select(
                func.coalesce(func.sum(is_question * mine), 0),
                func.coalesce(func.sum(tokens * mine), 0),
                func.coalesce(func.sum(is_question), 0),
                func.coalesce(func.sum(tokens), 0),
            ).where(AiMessage.room_id == room_id)
        )
    ).one()
    return Usage(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def add_message(
    db: AsyncSession,
    room_id: str,
    *,
    role: Role,
    text: str,
    asker: str,
    author: Principal | None,
    private: bool,
    include_code: bool = False,
    reply_to: str | None = None,
    status: str = "ok",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    message_id: str | None = None,
) -> AiMessage:
    """Store one message and its ``ai`` timeline event (in the caller's transaction).
    ``author`` None is the assistant."""
    now = datetime.now(UTC)
    name = author.name if author is not None else ASSISTANT_NAME
    author_role = author.role if author is not None else "assistant"
    row = AiMessage(
        id=message_id or new_id(),
        room_id=room_id,
        role=role,
        private=private,
        asker=asker,
        author_user_id=author.user_id if author is not None else None,
        author_name=name[:100],
        author_role=author_role,
        reply_to=reply_to,
        text=text,
        include_code=include_code,
        status=status,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        at=now,
    )
    db.add(row)
    data: dict[str, Any] = {"message_id": row.id, "role": role, "text": text, "private": private}
    if role == "user":
        data["include_code"] = include_code
    else:
        data |= {"status": status, "reply_to": reply_to,
                 "tokens": prompt_tokens + completion_tokens}
    await add_event(
        db, room_id, "ai", actor_name=name, actor_role=author_role,
        actor_user_id=row.author_user_id, data=data, at=now,
    )
    return row


def message_dict(row: AiMessage) -> dict[str, Any]:
    """A message as the events socket and the API show it."""
    return {
        "id": row.id,
        "role": row.role,
        "author": {"name": row.author_name, "role": row.author_role},
        "text": row.text,
        "at": row.at.isoformat(),
        "private": row.private,
        "status": row.status,
        "reply_to": row.reply_to,
        "include_code": row.include_code,
        "tokens": row.prompt_tokens + row.completion_tokens,
    }


async def transcript(
    db: AsyncSession, room_id: str, *, viewer: Principal | None = None
) -> list[dict[str, Any]]:
    """The room's messages, oldest first. For a candidate (``viewer``), the shared thread
    only; for interviewers and the report, everything."""
    cond = AiMessage.room_id == room_id
    if viewer is not None and viewer.is_candidate:
        cond = cond & AiMessage.private.is_(False)
    rows = (
        await db.scalars(
            select(AiMessage).where(cond).order_by(AiMessage.at, AiMessage.id).limit(MAX_TRANSCRIPT)
        )
    ).all()
    return [message_dict(r) for r in rows]


async def visible_answer(
    db: AsyncSession, room_id: str, message_id: str, principal: Principal
) -> str | None:
    """The text of an answer ``principal`` could see in this room (None: no such answer)."""
    cond = (AiMessage.room_id == room_id) & (AiMessage.id == message_id) & (
        AiMessage.role == "assistant"
    )
    if principal.is_candidate:
        cond = cond & AiMessage.private.is_(False)
    else:
        cond = cond & or_(AiMessage.private.is_(False), AiMessage.asker == principal.identity)
    text: str | None = await db.scalar(select(AiMessage.text).where(cond))
    return text
