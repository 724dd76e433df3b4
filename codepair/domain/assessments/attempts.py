"""A take-home's attempt: creating one, starting its clock, moving between its questions,
ending it, and what each viewer may know of it.

The clock is the server's: starting stores ``deadline_at`` (the earlier of start + limit and
``closes_at``) and every decision compares it with the server's time, never the browser's.
The candidate token is issued to expire at the deadline, so it stops working then on every
instance with no database write; ending the room (the clock's sweep, or a submit) stops it
for good and closes the candidate's sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.assessments import TakeHome
from codepair.db.models.interviews import Invite, Room
from codepair.db.models.questions import RoomQuestion
from codepair.domain.errors import Conflict, Gone, NotFound, Unprocessable
from codepair.domain.interviews import rooms
from codepair.domain.questions import bank
from codepair.domain.record import timeline
from codepair.security.tokens import ALGORITHM, ISSUER, Principal, issue_candidate_token

State = Literal["not_started", "in_progress", "submitted", "expired"]
Layout = Literal["sequence", "all"]

KIND = "take_home"
MAX_LIMIT_MINUTES = 7 * 24 * 60


def _fmt(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def state_of(th: TakeHome, now: datetime) -> State:
    """Where the attempt stands at ``now`` (the server's time)."""
    if th.finished_at is not None:
        return "submitted" if th.outcome == "submitted" else "expired"
    if th.started_at is None:
        return "not_started" if th.closes_at > now else "expired"
    assert th.deadline_at is not None
    return "in_progress" if th.deadline_at > now else "expired"


def limit_of(th: TakeHome, settings: Settings) -> timedelta:
    """The time limit as a duration (``take_home_minute_seconds`` shortens it in tests)."""
    return timedelta(seconds=th.time_limit_minutes * settings.take_home_minute_seconds)


# -- creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TakeHomeSpec:
    closes_at: datetime
    time_limit_minutes: int
    question_ids: list[str]
    layout: Layout = "sequence"


async def create(db: AsyncSession, room: Room, spec: TakeHomeSpec) -> TakeHome:
    """Make ``room`` (just created) a take-home with these rules and questions."""
    now = datetime.now(UTC)
    if spec.closes_at <= now:
        raise Unprocessable("closes_at must be in the future")
    if not spec.question_ids:
        raise Unprocessable("A take-home needs at least one question (question_ids)")
    if len(set(spec.question_ids)) != len(spec.question_ids):
        raise Unprocessable("question_ids lists a question twice")
    room.kind = KIND
    await bank.set_plan(db, room.id, spec.question_ids)
    for rq in await bank.room_questions(db, room.id):
        if rq.files or rq.test_command:
            raise Unprocessable(
                f"{rq.title!r} is a project question; a take-home takes one-file questions"
            )
    th = TakeHome(
        room_id=room.id,
        time_limit_minutes=spec.time_limit_minutes,
        closes_at=spec.closes_at,
        layout=spec.layout,
        answers={},
        results=[],
    )
    db.add(th)
    await db.flush()
    return th


async def get(db: AsyncSession, room_id: str) -> TakeHome:
    th = await db.get(TakeHome, room_id, populate_existing=True)
    if th is None:
        raise NotFound("This room is not a take-home")
    return th


# -- the candidate's way in ----------------------------------------------------------------

_INVITE = (
    select(Invite.id.label("invite_id"), Room.id, Room.kind, Room.candidate_name,
           Room.language, Room.ended_at)
    .join(Room, Room.id == Invite.room_id)
    .where(Invite.token == bindparam("token"), Invite.revoked_at.is_(None))
)


async def by_invite(db: AsyncSession, invite_token: str) -> tuple[Any, TakeHome | None]:
    """The live invite's row (with its room's kind) and the take-home, if it is one."""
    found = (await db.execute(_INVITE, {"token": invite_token})).one_or_none()
    if found is None:
        raise NotFound("This invite link is not valid")
    if found.kind != KIND:
        return found, None
    return found, await get(db, found.id)


def refuse_closed(th: TakeHome, now: datetime) -> None:
    """A clear answer for an attempt that can no longer be worked on."""
    state = state_of(th, now)
    if state == "submitted":
        assert th.finished_at is not None
        raise Gone(f"You submitted this take-home at {_fmt(th.finished_at)}; it is closed")
    if state == "expired":
        if th.started_at is None:
            raise Gone(f"This take-home could be started until {_fmt(th.closes_at)}; "
                       "that time has passed")
        assert th.deadline_at is not None
        raise Gone(f"The time for this take-home ran out at {_fmt(th.deadline_at)}")


@dataclass(frozen=True)
class AttemptPass:
    """A candidate token for the attempt, good until its deadline."""

    room_id: str
    token: str
    name: str
    deadline: datetime
    started_now: bool
    # When the clock started now: the code the editor should get (the first question's
    # starter), for the caller to write once the transaction committed.
    editor_code: str | None = None
    presented: list[dict[str, Any]] = field(default_factory=list)


_START = (
    update(TakeHome)
    .where(TakeHome.room_id == bindparam("b_room"), TakeHome.started_at.is_(None))
    .values(started_at=bindparam("now"), deadline_at=bindparam("deadline"),
            current_question_id=bindparam("current"))
    .execution_options(synchronize_session=False)
)


async def join(
    db: AsyncSession, settings: Settings, found: Any, th: TakeHome, name: str | None,
    *, start: bool,
) -> AttemptPass:
    """Start the clock (``start``) or come back to a running attempt; never restart it."""
    now = datetime.now(UTC)
    refuse_closed(th, now)
    display = (name or "").strip() or found.candidate_name
    started_now = False
    editor_code: str | None = None
    presented: list[dict[str, Any]] = []
    if th.started_at is None:
        if not start:
            raise Conflict("This take-home has not started: read the rules, then start the "
                           "clock (join with start: true)")
        deadline = min(now + limit_of(th, settings), th.closes_at)
        planned = await bank.room_questions(db, found.id)
        first = planned[0] if planned else None
        result = await db.execute(
            _START,
            {"b_room": found.id, "now": now, "deadline": deadline,
             "current": first.id if first else None},
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            started_now = True
            room = await db.get(Room, found.id)
            assert room is not None
            room.started_at = now
            shown = planned if th.layout == "all" else planned[:1]
            # Presented last = the one tests runs use: the first question is presented last.
            for offset, rq in enumerate(reversed(shown)):
                rq.presented_at = now + timedelta(microseconds=offset)
                await timeline.add_event(db, found.id, "question", actor_name=display,
                                         actor_role="candidate", data={"title": rq.title},
                                         at=now)
                presented.append(bank.candidate_view(rq))
            presented.reverse()
            if first is not None:
                editor_code = bank.starter_for(first, found.language) or ""
            await db.flush()
        th = await get(db, found.id)  # as it stands now (another request may have started it)
    assert th.deadline_at is not None
    token = issue_candidate_token(
        settings.signing_key(), room_id=found.id, invite_id=found.invite_id, name=display,
        ttl=th.deadline_at - now,
    )
    return AttemptPass(
        room_id=found.id, token=token, name=display, deadline=th.deadline_at,
        started_now=started_now, editor_code=editor_code, presented=presented,
    )


# -- during the attempt --------------------------------------------------------------------


async def running(db: AsyncSession, room_id: str) -> TakeHome:
    """The attempt, refused with a clear answer unless it is in progress now."""
    th = await get(db, room_id)
    now = datetime.now(UTC)
    refuse_closed(th, now)
    if th.started_at is None:
        raise Conflict("This take-home has not started")
    return th


@dataclass(frozen=True)
class Switch:
    question: RoomQuestion
    editor_code: str | None  # None: the editor keeps what it holds


async def switch_question(
    db: AsyncSession, principal: Principal, room: Room, target_id: str | None, editor_now: str,
    language: str,
) -> Switch:
    """Move the candidate to another question: the editor's code is kept as the answer to
    the current one, and the editor gets the target's kept answer or its starter.

    In a ``sequence`` take-home only the next question can be opened, and never one back.
    """
    th = await running(db, room.id)
    planned = await bank.room_questions(db, room.id)
    ids = [rq.id for rq in planned]
    here = ids.index(th.current_question_id) if th.current_question_id in ids else -1
    if target_id is None:  # the next one (a candidate cannot know an unreached one's id)
        if here + 1 >= len(ids):
            raise Conflict("This is the last question")
        target_id = ids[here + 1]
    if target_id not in ids:
        raise NotFound("Question not found")
    target = planned[ids.index(target_id)]
    if target_id == th.current_question_id:
        return Switch(target, None)
    if th.layout == "sequence" and ids.index(target_id) != here + 1:
        raise Conflict("In this take-home the questions come one after another: "
                       "only the next one can be opened, and none again once left")
    answers = dict(th.answers)
    if th.current_question_id is not None:
        answers[th.current_question_id] = editor_now
    th.answers = answers
    th.current_question_id = target_id
    now = datetime.now(UTC)
    first_time = target.presented_at is None
    target.presented_at = now  # the presented question is the one tests runs use
    if first_time:
        await timeline.add_event(db, room.id, "question", actor_name=principal.name,
                                 actor_role="candidate", data={"title": target.title}, at=now)
    await db.flush()
    code = answers.get(target_id)
    if code is None:
        code = bank.starter_for(target, language) or ""
    return Switch(target, code)


# -- ending --------------------------------------------------------------------------------

_FINISH = (
    update(TakeHome)
    .where(TakeHome.room_id == bindparam("b_room"), TakeHome.finished_at.is_(None))
    .values(finished_at=bindparam("at"), outcome=bindparam("b_outcome"))
    .execution_options(synchronize_session=False)
)


async def close(db: AsyncSession, room_id: str, outcome: str, at: datetime) -> bool:
    """End the attempt (not its room); True when this call ended it (one caller wins). The
    clock grades it next."""
    result = await db.execute(_FINISH, {"b_room": room_id, "at": at, "b_outcome": outcome})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    th = await get(db, room_id)
    if th.started_at is None:  # never started: nothing to grade, and nothing to announce
        th.graded_at = at
    return True


async def finish(db: AsyncSession, room_id: str, outcome: str, at: datetime) -> bool:
    """End the attempt and its room; True when this call ended it (one caller wins)."""
    if not await close(db, room_id, outcome, at):
        return False
    room = await rooms.load_room(db, room_id)
    await rooms.end_room(db, room)
    return True


async def submit(db: AsyncSession, room_id: str) -> TakeHome:
    """The candidate's submit: ends the attempt now (the grade follows, after commit)."""
    th = await running(db, room_id)
    if not await finish(db, room_id, "submitted", datetime.now(UTC)):
        refuse_closed(await get(db, room_id), datetime.now(UTC))
    return await get(db, th.room_id)


# -- views ---------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def score_of(th: TakeHome) -> float | None:
    if th.graded_at is None or not th.total:
        return None
    return round((th.passed or 0) / th.total, 4)


def attempt_view(
    th: TakeHome, settings: Settings, *, candidate: bool, questions: int | None = None
) -> dict[str, Any]:
    """The attempt as one viewer may see it (a candidate: no grade, no answers)."""
    now = datetime.now(UTC)
    state = state_of(th, now)
    left = None
    if state == "in_progress" and th.deadline_at is not None:
        left = max(0.0, (th.deadline_at - now).total_seconds())
    view: dict[str, Any] = {
        "room_id": th.room_id,
        "state": state,
        "layout": th.layout,
        "time_limit_minutes": th.time_limit_minutes,
        "time_limit_seconds": int(limit_of(th, settings).total_seconds()),
        "closes_at": _iso(th.closes_at),
        "started_at": _iso(th.started_at),
        "deadline": _iso(th.deadline_at),
        "finished_at": _iso(th.finished_at),
        "outcome": th.outcome,
        # The browser shows the clock from these two: its own clock may be wrong.
        "server_now": _iso(now),
        "seconds_left": left,
        "current_question_id": th.current_question_id,
    }
    if questions is not None:
        view["question_count"] = questions
    if not candidate:
        view.update(
            graded=th.graded_at is not None,
            graded_at=_iso(th.graded_at),
            passed=th.passed,
            total=th.total,
            score=score_of(th),
            results=list(th.results or []),
        )
    return view


async def candidate_questions(db: AsyncSession, th: TakeHome) -> list[dict[str, Any]]:
    """The questions the candidate has reached, in plan order (none before the start)."""
    if th.started_at is None:
        return []
    out = []
    for rq in await bank.room_questions(db, th.room_id):
        if rq.presented_at is not None:
            out.append({**bank.candidate_view(rq), "position": rq.position})
    return out


# -- a refused token, explained ------------------------------------------------------------


async def explain_closed(db: AsyncSession, settings: Settings, token: str, room_id: str) -> None:
    """Raise a clear :class:`Gone` when ``token`` is a candidate token of this take-home
    that stopped working because the attempt is over (submitted, or its time ran out);
    return quietly for anything else, which stays a plain 401.

    The signature is checked as ever; only the expiry is not, since the token was issued to
    expire at the deadline."""
    try:
        claims = jwt.decode(
            token, settings.signing_key(), algorithms=[ALGORITHM], issuer=ISSUER,
            options={"verify_exp": False, "require": ["exp", "sub", "typ"]},
        )
    except jwt.PyJWTError:
        return
    if claims.get("typ") != "candidate" or claims.get("room") != room_id:
        return
    th = await db.get(TakeHome, room_id)
    if th is not None:
        refuse_closed(th, datetime.now(UTC))
