"""The question bank and each room's plan of questions.

A room keeps its own copy of every question it uses (:class:`RoomQuestion`): editing or
archiving the bank later never changes what an interview was about. What a candidate may see
of a question is decided here, in one place (:func:`candidate_view`): only presented
questions, and of them the title, prompt, starters and visible tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.accounts import User
from codepair.db.models.questions import Question, RoomQuestion
from codepair.domain.errors import Conflict, Forbidden, NotFound
from codepair.security.tokens import Principal, new_id

QUESTION_NOT_FOUND = "Question not found"
#: The fields a question and its room copy share.
CONTENT_FIELDS = (
    "title", "prompt", "difficulty", "tags", "starters", "tests", "solution",
    "solution_language", "guidance", "rubric",
    # A project question's (docs/projects.md); hidden_files never reach a candidate.
    "files", "hidden_files", "entry", "run_command", "test_command",
)
MAX_ROOM_QUESTIONS = 20


def tag_index(tags: list[str]) -> str:
    """Tags as ``,a,b,``: a tag search is then one LIKE on every database."""
    return "," + "".join(f"{tag},"for tag in tags)


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class QuestionFilter:
    q: str | None = None
    tag: str | None = None
    difficulty: str | None = None
    archived: bool = False
    limit: int = 20
    offset: int = 0


async def list_questions(db: AsyncSession, flt: QuestionFilter) -> tuple[list[Question], int]:
    stmt = select(Question)
    stmt = stmt.where(
        Question.archived_at.is_not(None) if flt.archived else Question.archived_at.is_(None)
    )
    if flt.q:
        pattern = _like(flt.q)
        stmt = stmt.where(
            or_(
                func.lower(Question.title).like(pattern, escape="\\"),
                func.lower(Question.prompt).like(pattern, escape="\\"),
                func.lower(Question.tag_index).like(pattern, escape="\\"),
            )
        )
    if flt.tag:
        stmt = stmt.where(Question.tag_index.like(_like(f",{flt.tag.strip()},"), escape="\\"))
    if flt.difficulty:
        stmt = stmt.where(Question.difficulty == flt.difficulty)
    total = await db.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await db.scalars(
        stmt.order_by(func.lower(Question.title), Question.id).limit(flt.limit).offset(flt.offset)
    )
    return list(rows), int(total or 0)


async def get_question(db: AsyncSession, question_id: str) -> Question:
    question = await db.get(Question, question_id)
    if question is None:
        raise NotFound(QUESTION_NOT_FOUND)
    return question


async def uses(db: AsyncSession, question_ids: list[str]) -> dict[str, int]:
    """How many room copies each question has (a used question is archived, not deleted)."""
    if not question_ids:
        return {}
    rows = await db.execute(
        select(RoomQuestion.question_id, func.count())
        .where(RoomQuestion.question_id.in_(question_ids))
        .group_by(RoomQuestion.question_id)
    )
    return {str(qid): int(n) for qid, n in rows.all()}


async def authors(db: AsyncSession, questions: list[Question]) -> dict[int, str]:
    ids = {q.author_id for q in questions if q.author_id is not None}
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {int(uid): str(name) for uid, name in rows.all()}


def _apply(question: Question | RoomQuestion, content: dict[str, Any]) -> None:
    for key in CONTENT_FIELDS:
        if key in content and content[key] is not None:
            setattr(question, key, content[key])
    if isinstance(question, Question) and "tags" in content and content["tags"] is not None:
        question.tag_index = tag_index(list(content["tags"]))


async def create_question(
    db: AsyncSession, author: Principal | None, content: dict[str, Any], *, slug: str | None = None
) -> Question:
    question = Question(
        id=new_id(), slug=slug, author_id=author.user_id if author is not None else None,
        tags=[], starters={}, tests=[], rubric=[], files={}, hidden_files={}, entry="",
        run_command="", test_command="",
    )
    _apply(question, content)
    question.tag_index = tag_index(question.tags)
    db.add(question)
    await db.flush()
    return question


def may_edit(principal: Principal, question: Question) -> bool:
    """The author and leads edit a question; other interviewers use it."""
    return principal.is_lead or (
        principal.user_id is not None and principal.user_id == question.author_id
    )


async def update_question(
    db: AsyncSession, principal: Principal, question: Question, changes: dict[str, Any]
) -> Question:
    if not may_edit(principal, question):
        raise Forbidden("Only the question's author or a lead can change it")
    _apply(question, changes)
    if changes.get("archived") is not None:
        question.archived_at = datetime.now(UTC) if changes["archived"] else None
    question.updated_at = datetime.now(UTC)
    await db.flush()
    return question


async def delete_question(db: AsyncSession, principal: Principal, question: Question) -> str:
    """Delete an unused question; archive one that a room used. Answers which it was."""
    if not may_edit(principal, question):
        raise Forbidden("Only the question's author or a lead can delete it")
    if (await uses(db, [question.id])).get(question.id):
        if question.archived_at is None:
            question.archived_at = datetime.now(UTC)
        await db.flush()
        return "archived"
    await db.delete(question)
    await db.flush()
    return "deleted"


# --- a room's plan ----------------------------------------------------------------------


async def room_questions(db: AsyncSession, room_id: str) -> list[RoomQuestion]:
    rows = await db.scalars(
        select(RoomQuestion)
        .where(RoomQuestion.room_id == room_id)
        .order_by(RoomQuestion.position, RoomQuestion.created_at, RoomQuestion.id)
    )
    return list(rows)


async def attach(db: AsyncSession, room_id: str, question_id: str) -> RoomQuestion:
    """Copy a bank question to the end of the room's plan."""
    question = await get_question(db, question_id)
    if question.archived_at is not None:
        raise Conflict("This question is archived")
    planned = await room_questions(db, room_id)
    if len(planned) >= MAX_ROOM_QUESTIONS:
        raise Conflict(f"A room holds at most {MAX_ROOM_QUESTIONS} questions")
    copy = RoomQuestion(
        id=new_id(),
        room_id=room_id,
        question_id=question.id,
        position=max((rq.position for rq in planned), default=-1) + 1,
        created_at=datetime.now(UTC),
        **{key: _copy(getattr(question, key)) for key in CONTENT_FIELDS},
    )
    db.add(copy)
    await db.flush()
    return copy


def _copy(value: Any) -> Any:
    # JSON columns: a copy, so the room's record never shares a list with the bank's row.
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


async def set_plan(db: AsyncSession, room_id: str, question_ids: list[str]) -> None:
    """Make the room's plan these questions, in this order: kept copies are reordered (a
    presented one is never dropped), new ones copied, unpresented ones not listed removed."""
    planned = await room_questions(db, room_id)
    by_question = {rq.question_id: rq for rq in planned if rq.question_id is not None}
    position = 0
    kept: set[str] = set()
    for qid in question_ids:
        rq = by_question.get(qid)
        if rq is None:
            rq = await attach(db, room_id, qid)
        rq.position = position
        kept.add(rq.id)
        position += 1
    for rq in planned:
        if rq.id in kept:
            continue
        if rq.presented_at is None:
            await db.delete(rq)
        else:
            rq.position = position
            position += 1
    await db.flush()


async def room_question(db: AsyncSession, room_id: str, rq_id: str) -> RoomQuestion:
    rq = await db.get(RoomQuestion, rq_id)
    if rq is None or rq.room_id != room_id:
        raise NotFound(QUESTION_NOT_FOUND)
    return rq


async def detach(db: AsyncSession, room_id: str, rq_id: str) -> None:
    rq = await room_question(db, room_id, rq_id)
    if rq.presented_at is not None:
        raise Conflict("A presented question stays in the interview's record")
    await db.delete(rq)
    await db.flush()


async def presented(db: AsyncSession, room_id: str) -> RoomQuestion | None:
    """The question presented last in the room, if any."""
    row = await db.scalar(
        select(RoomQuestion)
        .where(RoomQuestion.room_id == room_id, RoomQuestion.presented_at.is_not(None))
        .order_by(RoomQuestion.presented_at.desc())
        .limit(1)
    )
    return row


def starter_for(rq: RoomQuestion, language: str) -> str | None:
    code = rq.starters.get(language)
    return code if isinstance(code, str) else None


def is_untouched(code: str, planned: list[RoomQuestion]) -> bool:
    """True when the editor holds nothing the candidate wrote: empty, or exactly a starter."""
    text = code.strip()
    if not text:
        return True
    return any(text == starter.strip() for rq in planned for starter in rq.starters.values())


# --- views ------------------------------------------------------------------------------


def candidate_view(rq: RoomQuestion) -> dict[str, Any]:
    """The only shape in which a question reaches a candidate (REST and events socket). A
    project question adds its starter tree and entry; hidden files and the commands stay with
    the interviewers (and a one-file question's shape is as it always was)."""
    view = {
        "id": rq.id,
        "title": rq.title,
        "prompt": rq.prompt,
        "starters": dict(rq.starters),
        "tests": [
            {
                "name": t["name"],
                "stdin": t.get("stdin", ""),
                "expected_stdout": t.get("expected_stdout", ""),
                "hidden": False,
            }
            for t in rq.tests
            if not t.get("hidden")
        ],
    }
    if rq.files:
        view["files"] = dict(rq.files)
        view["entry"] = rq.entry or ""
    return view


def room_question_view(rq: RoomQuestion) -> dict[str, Any]:
    """A room's question as its interviewers see it: everything."""
    return {
        "id": rq.id,
        "question_id": rq.question_id,
        "position": rq.position,
        **{key: getattr(rq, key) for key in CONTENT_FIELDS},
        "created_at": rq.created_at,
        "presented_at": rq.presented_at,
    }


# --- for the report (scorecards) ---------------------------------------------------------


async def room_rubric(db: AsyncSession, room_id: str) -> list[dict[str, str]]:
    """The rubric criteria of the room's questions, in plan order, without duplicates."""
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for rq in await room_questions(db, room_id):
        for item in rq.rubric:
            name = str(item.get("criterion", "")).strip()
            if name and name.lower() not in seen:
                seen.add(name.lower())
                out.append({"criterion": name, "description": str(item.get("description", ""))})
    return out


async def room_questions_for_report(db: AsyncSession, room_id: str) -> list[dict[str, Any]]:
    """The room's questions for the interview report (interviewers' eyes only)."""
    out = []
    for rq in await room_questions(db, room_id):
        view = room_question_view(rq)
        view["created_at"] = rq.created_at.isoformat()
        view["presented_at"] = rq.presented_at.isoformat() if rq.presented_at else None
        out.append(view)
    return out
