"""The question bank (interviewers and leads) and each room's questions (plan, present).

Candidates reach only ``GET /api/rooms/{id}/questions``, and see there only presented
questions in :func:`codepair.domain.questions.bank.candidate_view`'s shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from pycrdt import Text

from codepair.api.bounds import Offset
from codepair.api.deps import CurrentPrincipal, CurrentUser, DbSession
from codepair.api.errors import errors
from codepair.api.notify import after_commit, notices
from codepair.api.routes.interviews.runs import room_runs
from codepair.api.schemas.questions import (
    AuthorOut,
    CandidateProjectQuestionOut,
    CandidateQuestionOut,
    Difficulty,
    PresentIn,
    PresentOut,
    QuestionDeleted,
    QuestionIn,
    QuestionList,
    QuestionOut,
    QuestionPatch,
    RoomQuestionAdd,
    RoomQuestionList,
    RoomQuestionOut,
    TestResultOut,
    TryIn,
    TryOut,
)
from codepair.db.models.questions import Question
from codepair.domain.errors import Conflict, RateLimited, Unprocessable
from codepair.domain.interviews import rooms
from codepair.domain.projects.tree import read_tree, write_tree
from codepair.domain.questions import bank as questions
from codepair.domain.questions import runs as question_runs
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.record import timeline
from codepair.hub.hub import code_language
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.questions")

router = APIRouter(tags=["questions"])

#: Bank writes (create, edit, delete) per person per minute.
WRITES_PER_MINUTE = 60
#: Presents per person per minute.
PRESENTS_PER_MINUTE = 30


def _limit_writes(request: Request, principal: Principal, kind: str = "question_writes") -> None:
    """Bank writes, and presenting (each present may rewrite the room's editor)."""
    limiter: RateLimiter | None = getattr(request.app.state, kind, None)
    if limiter is None:
        limiter = RateLimiter(WRITES_PER_MINUTE if kind == "question_writes" else
                              PRESENTS_PER_MINUTE, 60)
        setattr(request.app.state, kind, limiter)
    wait = limiter.retry_after(principal.identity)
    if wait > 0:
        raise RateLimited("Too many changes; try again later", wait)
    limiter.hit(principal.identity)


def candidate_question(view: dict[str, Any]) -> CandidateQuestionOut:
    """A candidate's view in its model: a project question's carries its tree."""
    model = CandidateProjectQuestionOut if "files" in view else CandidateQuestionOut
    return model.model_validate(view)


def question_out(q: Question, used: int, author_name: str | None) -> QuestionOut:
    return QuestionOut.model_validate(
        {
            "id": q.id,
            "slug": q.slug,
            **{key: getattr(q, key) for key in questions.CONTENT_FIELDS},
            "author": AuthorOut(id=q.author_id, name=author_name or "")
            if q.author_id is not None else None,
            "created_at": q.created_at,
            "updated_at": q.updated_at,
            "archived": q.archived_at is not None,
            "used": used,
        }
    )


async def _out(db: DbSession, q: Question) -> QuestionOut:
    used = (await questions.uses(db, [q.id])).get(q.id, 0)
    names = await questions.authors(db, [q])
    return question_out(q, used, names.get(q.author_id or -1))


@router.get("/api/questions")
async def list_questions(
    principal: CurrentUser,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    difficulty: Difficulty | None = None,
    archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> QuestionList:
    items, total = await questions.list_questions(
        db,
        questions.QuestionFilter(
            q=q, tag=tag.lower() if tag else None, difficulty=difficulty, archived=archived,
            limit=limit, offset=offset,
        ),
    )
    used = await questions.uses(db, [item.id for item in items])
    names = await questions.authors(db, items)
    return QuestionList(
        items=[question_out(i, used.get(i.id, 0), names.get(i.author_id or -1)) for i in items],
        total=total,
    )


@router.post("/api/questions", status_code=201, responses=errors(429))
async def create_question(
    body: QuestionIn, principal: CurrentUser, db: DbSession, request: Request
) -> QuestionOut:
    _limit_writes(request, principal)
    created = await questions.create_question(db, principal, body.model_dump())
    return await _out(db, created)


@router.get("/api/questions/{question_id}")
async def read_question(question_id: str, principal: CurrentUser, db: DbSession) -> QuestionOut:
    return await _out(db, await questions.get_question(db, question_id))


@router.patch("/api/questions/{question_id}", responses=errors(409, 429))
async def update_question(
    question_id: str, body: QuestionPatch, principal: CurrentUser, db: DbSession, request: Request
) -> QuestionOut:
    _limit_writes(request, principal)
    q = await questions.get_question(db, question_id)
    changed = await questions.update_question(db, principal, q, body.model_dump(exclude_unset=True))
    return await _out(db, changed)


@router.delete("/api/questions/{question_id}", responses=errors(409, 429))
async def delete_question(
    question_id: str, principal: CurrentUser, db: DbSession, request: Request
) -> QuestionDeleted:
    """Deletes a question no room has used; archives one that a room used (200 either way)."""
    _limit_writes(request, principal)
    q = await questions.get_question(db, question_id)
    outcome = await questions.delete_question(db, principal, q)
    return QuestionDeleted(id=question_id, outcome=outcome)


@router.post("/api/questions/{question_id}/try", responses=errors(409, 429, 503))
async def try_question(
    question_id: str, body: TryIn, principal: CurrentUser, db: DbSession, request: Request
) -> TryOut:
    """Run the reference solution (or ``code``) against the question's tests; nothing is
    stored. Counts against the person's run rate limit."""
    q = await questions.get_question(db, question_id)
    language = body.language or q.solution_language
    code = body.code if body.code is not None else q.solution
    if not q.tests:
        raise Unprocessable("This question has no tests")
    service = room_runs(request.app)
    if not service.executor.supports(language):
        raise Unprocessable(f"Language {language!r} is not available on this server")
    ticket = service.admit(principal.identity, f"try:{question_id}")
    result, graded = await question_runs.try_question(
        service.executor, ticket, language=language, code=code, tests=list(q.tests)
    )
    return TryOut(
        status=result.status if result.status != "ok" else "ok",
        compile_output="\n".join(filter(None, [result.compile_output, result.message])),
        passed=sum(1 for g in graded if g["passed"]),
        total=len(graded),
        wall_ms=result.wall_ms,
        tests=[TestResultOut.model_validate(g) for g in graded],
    )


# --- a room's questions ------------------------------------------------------------------


def _room_question_out(rq: Any) -> RoomQuestionOut:
    return RoomQuestionOut.model_validate(questions.room_question_view(rq))


@router.get("/api/rooms/{room_id}/questions")
async def list_room_questions(
    room_id: str, principal: CurrentPrincipal, db: DbSession
) -> RoomQuestionList:
    """The room's plan in order; a candidate gets only presented questions, reduced."""
    _room, role = await rooms.room_for(db, principal, room_id, interviewer=False)
    planned = await questions.room_questions(db, room_id)
    if role == "candidate":
        shown = sorted((rq for rq in planned if rq.presented_at is not None),
                       key=lambda rq: rq.presented_at or datetime.min.replace(tzinfo=UTC))
        return RoomQuestionList(
            items=[candidate_question(questions.candidate_view(rq))
                   for rq in shown]
        )
    return RoomQuestionList(items=[_room_question_out(rq) for rq in planned])


@router.post("/api/rooms/{room_id}/questions", status_code=201, responses=errors(409))
async def add_room_question(
    room_id: str, body: RoomQuestionAdd, principal: CurrentUser, db: DbSession
) -> RoomQuestionOut:
    room, _role = await rooms.room_for(db, principal, room_id)
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    return _room_question_out(await questions.attach(db, room_id, body.question_id))


@router.delete("/api/rooms/{room_id}/questions/{rq_id}", status_code=204, responses=errors(409))
async def remove_room_question(
    room_id: str, rq_id: str, principal: CurrentUser, db: DbSession
) -> None:
    room, _role = await rooms.room_for(db, principal, room_id)
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    await questions.detach(db, room_id, rq_id)


@router.post("/api/rooms/{room_id}/questions/{rq_id}/present", responses=errors(409, 429))
async def present_room_question(
    room_id: str,
    rq_id: str,
    principal: CurrentUser,
    db: DbSession,
    request: Request,
    body: PresentIn | None = None,
) -> PresentOut:
    """Show the question to everyone in the room and put its starter code in the editor.

    The starter replaces the editor's code only when the editor is empty or holds a starter,
    or when the interviewer confirmed with ``{"replace_code": true}``; otherwise 409.
    """
    room, _role = await rooms.room_for(db, principal, room_id)
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    rq = await questions.room_question(db, room_id, rq_id)
    _limit_writes(request, principal, "question_presents")
    replace_code = body.replace_code if body is not None else False
    hub = getattr(request.app.state, "hub", None)
    starter: str | None = None
    tree: dict[str, str] | None = None
    new_entry = ""
    note = ""
    if hub is not None and rq.files:
        # A project question: its starter tree replaces the room's, on the same terms.
        code_doc = await hub.document(room_id)
        language = code_language(code_doc) or room.language
        current_tree = read_tree(code_doc, language)
        entry = rq.entry or current_tree.entry
        untouched = set(current_tree.files) == {current_tree.entry} and questions.is_untouched(
            current_tree.files[current_tree.entry], await questions.room_questions(db, room_id)
        )
        if current_tree.files == rq.files and current_tree.entry == entry:
            pass
        elif not replace_code and not untouched:
            raise Conflict(
                "The room's files have code in them; present with replace_code to replace them"
            )
        else:
            tree = dict(rq.files)
            tree.setdefault(entry, "")
            new_entry = entry
    elif hub is not None:
        code_doc = await hub.document(room_id)
        language = code_language(code_doc) or room.language
        starter = questions.starter_for(rq, language)
        current = str(code_doc.get("code", type=Text))
        if starter is None:
            note = f"This question has no starter code for {language}"
        elif current == starter:
            starter = None
        elif not replace_code and not questions.is_untouched(
            current, await questions.room_questions(db, room_id)
        ):
            raise Conflict(
                "The editor has code in it; present with replace_code to replace it"
            )
    else:
        note = "Starter code is put in the editor by a server that runs the room hub"
    rq.presented_at = datetime.now(UTC)
    await _timeline(db, room_id, principal, rq.title)
    await db.flush()
    message = {"type": "question.presented", "question": questions.candidate_view(rq)}
    author = principal.identity
    new_code = starter

    new_tree = tree

    async def tell() -> None:
        if new_code is not None and hub is not None:
            await hub.replace_text(room_id, "code", "code", new_code, author=author)
        if new_tree is not None and hub is not None:
            await hub.change(
                room_id, "code", lambda doc: write_tree(doc, new_tree, new_entry), author=author
            )
        await notices(request).room_message(room_id, message)

    after_commit(request, tell)
    return PresentOut(question=_room_question_out(rq),
                      code_replaced=starter is not None or tree is not None, note=note)


async def _timeline(db: DbSession, room_id: str, principal: Principal, title: str) -> None:
    """A ``question`` event on the room's timeline."""
    await timeline.add_event(
        db, room_id, "question", actor_name=principal.name, actor_role=principal.role,
        actor_user_id=principal.user_id, data={"title": title},
    )
