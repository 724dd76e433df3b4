"""The assistant on the record: the report's AI section (transcript and counts).

Counts: questions (by the candidate, by interviewers), tokens, code inserted from answers and
which insertions reached the final code. An insertion "reached" it when its text, with runs of
whitespace made one space, is still in some file of the final tree (an edited insertion no
longer counts; the report says how many of its characters were inserted either way).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.record import RoomEvent
from codepair.domain.ai import conversation

MAX_INSERTS = 500
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def reached(inserted: str, files: Mapping[str, str]) -> bool:
    """Whether ``inserted`` is still in one of ``files`` (whitespace aside)."""
    needle = _squash(inserted)
    return bool(needle) and any(needle in _squash(text) for text in files.values())


async def ai_section(
    db: AsyncSession, room_id: str, final_files: Mapping[str, str]
) -> dict[str, Any]:
    """The AI section of the report: ``messages`` (the whole transcript, private questions
    marked), ``counts`` and ``insertions``."""
    messages = await conversation.transcript(db, room_id)
    rows = (
        await db.scalars(
            select(RoomEvent)
            .where(RoomEvent.room_id == room_id, RoomEvent.type == "ai_insert")
            .order_by(RoomEvent.at, RoomEvent.id)
            .limit(MAX_INSERTS)
        )
    ).all()
    insertions: list[dict[str, Any]] = [
        {
            "at": row.at.isoformat(),
            "by": {"name": row.actor_name, "role": row.actor_role},
            "message_id": (row.data or {}).get("message_id"),
            "chars": int((row.data or {}).get("chars", 0)),
            "reached_final_code": reached(str((row.data or {}).get("text", "")), final_files),
        }
        for row in rows
    ]
    questions = [m for m in messages if m["role"] == "user"]
    answers = [m for m in messages if m["role"] == "assistant"]
    counts = {
        "prompts": len(questions),
        "prompts_by_candidate": sum(1 for m in questions if m["author"]["role"] == "candidate"),
        "prompts_by_interviewers": sum(1 for m in questions if m["author"]["role"] != "candidate"),
        "private_prompts": sum(1 for m in questions if m["private"]),
        "answers_failed": sum(1 for m in answers if m["status"] != "ok"),
        "tokens": sum(m["tokens"] for m in answers),
        "insertions": len(insertions),
        "inserted_chars": sum(i["chars"] for i in insertions),
        "insertions_in_final_code": sum(1 for i in insertions if i["reached_final_code"]),
    }
    return {"messages": messages, "counts": counts, "insertions": insertions}
