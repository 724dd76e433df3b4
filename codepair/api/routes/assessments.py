"""Take-home assessments: the dashboard's list, the invite's rules, the attempt, moving
between questions, and the candidate's submit (docs/take-home.md).

Creating one is ``POST /api/rooms`` with ``kind: "take_home"`` and starting its clock is
``POST /api/join`` with ``start: true`` (codepair/api/routes/interviews/rooms.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pycrdt import Text

from codepair.api.bounds import Offset
from codepair.api.deps import CurrentUser, DbSession, SettingsDep, bearer_token, client_ip
from codepair.api.errors import errors
from codepair.api.notify import after_commit, notices
from codepair.api.schemas.assessments import (
    QuestionOpenIn,
    TakeHomeInviteOut,
    TakeHomeList,
    TakeHomeOut,
)
from codepair.domain.assessments import attempts, listing
from codepair.domain.assessments.attempts import AttemptPass
from codepair.domain.errors import Forbidden, Unauthorized, Unavailable
from codepair.domain.interviews import rooms
from codepair.domain.interviews.access import authenticate
from codepair.domain.questions import bank
from codepair.hub.hub import code_language
from codepair.security.tokens import Principal

router = APIRouter(tags=["take-homes"])


@router.get("/api/take-homes")
async def list_take_homes(
    principal: CurrentUser,
    db: DbSession,
    settings: SettingsDep,
    sort: Literal["score", "created"] = "created",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Offset = 0,
) -> TakeHomeList:
    """The take-homes the user may see with their state, time left and grade."""
    flt = listing.TakeHomeFilter(sort=sort, limit=limit, offset=offset)
    items, total = await listing.list_take_homes(db, settings, principal, flt)
    return TakeHomeList.model_validate({"items": items, "total": total})


@router.get("/api/take-homes/invite/{invite_token}", responses=errors(404, 429))
async def read_invite(
    invite_token: Annotated[str, Path(max_length=512)],
    request: Request,
    db: DbSession,
    settings: SettingsDep,
) -> TakeHomeInviteOut:
    """The start page's rules for an invite link, with no token: never the questions."""
    request.app.state.limits.join_ip.hit(client_ip(request))
    found, th = await attempts.by_invite(db, invite_token)
    if th is None:
        return TakeHomeInviteOut(kind="live")
    room = await rooms.load_room(db, found.id)
    view = attempts.attempt_view(th, settings, candidate=True)
    return TakeHomeInviteOut(
        kind="take_home",
        title=room.title,
        candidate_name=room.candidate_name,
        language=room.language,
        state=view["state"],
        layout=view["layout"],
        time_limit_minutes=th.time_limit_minutes,
        time_limit_seconds=view["time_limit_seconds"],
        closes_at=th.closes_at,
        deadline=th.deadline_at,
        question_count=len(await bank.room_questions(db, room.id)),
        server_now=view["server_now"],
    )


async def _principal_in(
    db: DbSession, settings: SettingsDep, request: Request, room_id: str
) -> Principal:
    """The caller, in this take-home's room; a candidate token that stopped because the
    attempt is over gets that said (410), not a bare 401."""
    token = bearer_token(request)
    try:
        principal = await authenticate(db, settings, token)
    except Unauthorized:
        await attempts.explain_closed(db, settings, token, room_id)
        raise
    await rooms.room_for(db, principal, room_id, interviewer=False)  # 404 when not theirs
    return principal


async def _out(db: DbSession, settings: SettingsDep, room_id: str, *, candidate: bool) -> Any:
    th = await attempts.get(db, room_id)
    count = len(await bank.room_questions(db, room_id))
    view = attempts.attempt_view(th, settings, candidate=candidate, questions=count)
    view["questions"] = await attempts.candidate_questions(db, th)
    return TakeHomeOut.model_validate(view)


@router.get("/api/rooms/{room_id}/take-home", responses=errors(401, 404, 410))
async def read_take_home(
    room_id: str, request: Request, db: DbSession, settings: SettingsDep
) -> TakeHomeOut:
    """The attempt: its clock as the server keeps it, the questions reached (to the
    candidate: as a candidate sees a question), and the grade (to interviewers)."""
    principal = await _principal_in(db, settings, request, room_id)
    out: TakeHomeOut = await _out(db, settings, room_id, candidate=principal.is_candidate)
    return out


@router.post(
    "/api/rooms/{room_id}/take-home/question", responses=errors(401, 403, 404, 409, 410, 503)
)
async def open_question(
    room_id: str, body: QuestionOpenIn, request: Request, db: DbSession, settings: SettingsDep
) -> TakeHomeOut:
    """The candidate moves to another question: the editor's code is kept as the answer
    to the one left, and the editor gets the other's kept answer or its starter."""
    principal = await _principal_in(db, settings, request, room_id)
    if not principal.is_candidate:
        raise Forbidden("Only the candidate moves between a take-home's questions")
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        raise Unavailable("Moving between questions needs a server that runs the room hub")
    room = await rooms.load_room(db, room_id)
    doc = await hub.document(room_id)
    language = code_language(doc) or room.language
    editor_now = str(doc.get("code", type=Text))
    switch = await attempts.switch_question(db, principal, room, body.question_id, editor_now,
                                            language)
    message = {"type": "question.presented", "question": bank.candidate_view(switch.question)}
    code = switch.editor_code
    author = principal.identity

    async def tell() -> None:
        if code is not None:
            await hub.replace_text(room_id, "code", "code", code, author=author)
        await notices(request).room_message(room_id, message)

    after_commit(request, tell)
    out: TakeHomeOut = await _out(db, settings, room_id, candidate=True)
    return out


@router.post("/api/rooms/{room_id}/submit", responses=errors(401, 403, 404, 409, 410))
async def submit(
    room_id: str, request: Request, db: DbSession, settings: SettingsDep
) -> TakeHomeOut:
    """The candidate hands the take-home in: the attempt ends now, the candidate token
    stops working, and the tests grade the final code (the owner hears of the grade)."""
    principal = await _principal_in(db, settings, request, room_id)
    if not principal.is_candidate:
        raise Forbidden("Only the candidate submits a take-home")
    await attempts.submit(db, room_id)
    app = request.app

    async def ended() -> None:
        await notices(request).room_ended(room_id)
        clock = getattr(app.state, "take_home_clock", None)
        if clock is not None:
            clock.grade_soon(room_id)

    after_commit(request, ended)
    out: TakeHomeOut = await _out(db, settings, room_id, candidate=True)
    return out


def after_commit_take_home_started(request: Request, attempt: AttemptPass) -> None:
    """Once the start committed: the first question's starter in the editor, and the
    presented questions to whoever watches."""
    hub = getattr(request.app.state, "hub", None)

    async def tell() -> None:
        if hub is not None and attempt.editor_code:
            await hub.replace_text(attempt.room_id, "code", "code", attempt.editor_code,
                                   author="server")
        for question in attempt.presented:
            await notices(request).room_message(
                attempt.room_id, {"type": "question.presented", "question": question}
            )

    after_commit(request, tell)

