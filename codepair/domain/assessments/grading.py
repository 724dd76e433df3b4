"""Grading an ended attempt: every question's tests, visible and hidden, on the final code.

Each question the candidate reached is graded as an ordinary tests run (a ``runs`` row with
its ``run_tests`` beside it, author "Grader"), so the report, the timeline and the replay
show the grade as they show any run. A question never reached counts its tests as failed.
Then, in one transaction with the totals, ``take_home.submitted`` is queued for the webhooks
and the owner's mail: nothing is announced that is not stored.

A grade is claimed with a lease (``grading_until``): two core processes never grade one
attempt at once, and one that died mid-way leaves it to the next sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.engine import transaction
from codepair.db.models.assessments import TakeHome
from codepair.db.models.questions import RoomQuestion, RunTests
from codepair.domain.assessments import messages
from codepair.domain.integrations import webhooks
from codepair.domain.interviews import rooms
from codepair.domain.interviews.runs import new_run, run_event
from codepair.domain.questions import bank
from codepair.domain.questions.runs import Send, execute_tests_run
from codepair.domain.record.timeline import add_event
from codepair.runner.executor import Busy, Executor, Ticket

log = structlog.get_logger("codepair.take_home")

LEASE = timedelta(minutes=10)
GRADER = "Grader"


@dataclass(frozen=True)
class FinalCode:
    """The editor's code as the attempt ended, and the language it is in."""

    text: str
    language: str | None


ReadCode = Callable[[str], Awaitable[FinalCode]]

_CLAIM = (
    update(TakeHome)
    .where(
        TakeHome.room_id == bindparam("b_room"),
        TakeHome.finished_at.is_not(None),
        TakeHome.graded_at.is_(None),
        or_(TakeHome.grading_until.is_(None), TakeHome.grading_until < bindparam("now")),
    )
    .values(grading_until=bindparam("until"))
    .execution_options(synchronize_session=False)
)


class Grader:
    """Grades ended attempts with this process's executor."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        executor: Executor,
        read_code: ReadCode,
        send: Send,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.executor = executor
        self.read_code = read_code
        self.send = send

    async def claim(self, room_id: str) -> bool:
        now = datetime.now(UTC)
        async with transaction(self.sessions) as db:
            result = await db.execute(
                _CLAIM, {"b_room": room_id, "now": now, "until": now + LEASE}
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def grade(self, room_id: str) -> bool:
        """Grade one ended attempt, unless another process holds it; True when graded here."""
        if not await self.claim(room_id):
            return False
        async with self.sessions() as db:
            th = await db.get(TakeHome, room_id)
            room = await rooms.load_room(db, room_id) if th is not None else None
            planned = await bank.room_questions(db, room_id)
            db.expunge_all()
        if th is None or room is None:
            return False
        final = await self.read_code(room_id)
        language = final.language or room.language
        results = []
        for rq in planned:
            if not rq.tests:
                continue
            code = final.text if rq.id == th.current_question_id else th.answers.get(rq.id)
            results.append(await self._grade_question(room_id, rq, code, language))
        passed = sum(int(r["passed"]) for r in results)
        total = sum(int(r["total"]) for r in results)
        async with transaction(self.sessions) as db:
            row = await db.get(TakeHome, room_id)
            if row is None:  # deleted meanwhile
                return False
            row.results = results
            row.passed, row.total = passed, total
            row.graded_at = datetime.now(UTC)
            row.grading_until = None
            room = await rooms.load_room(db, room_id)
            await webhooks.emit(db, "take_home.submitted",
                                messages.submitted_data(room, row, self.settings))
            await messages.queue_result(db, self.settings, room, row)
        log.info("take_home_graded", room_id=room_id, passed=passed, total=total,
                 outcome=th.outcome)
        return True

    async def _grade_question(
        self, room_id: str, rq: RoomQuestion, code: str | None, language: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "room_question_id": rq.id, "title": rq.title, "run_id": None,
            "passed": 0, "total": len(rq.tests), "status": "not_reached",
        }
        if rq.presented_at is None or code is None:
            return out
        if not self.executor.supports(language):
            out["status"] = "internal_error"
            return out
        run = new_run(room_id=room_id, author_user_id=None, author_name=GRADER,
                      author_role="grader", language=language, code=code, stdin="")
        ticket = await self._ticket()
        try:
            async with transaction(self.sessions) as db:
                db.add(run)
                await db.flush()
                await add_event(db, room_id, "run", actor_name=GRADER, actor_role="grader",
                                data={"run_id": run.id}, at=run.created_at)
        except BaseException:
            ticket.release()
            raise
        await execute_tests_run(executor=self.executor, db=self.sessions, run=run, rq=rq,
                                ticket=ticket, send=self.send, run_event=run_event)
        async with self.sessions() as db:
            tests = await db.scalar(select(RunTests).where(RunTests.run_id == run.id))
            stored = await db.get(type(run), run.id)
        out["run_id"] = run.id
        out["status"] = stored.status if stored is not None else "internal_error"
        if tests is not None:
            out["passed"], out["total"] = tests.passed, tests.total
        return out

    async def _ticket(self) -> Ticket:
        """A place in the executor's line, waiting for one while it is full: a grade is
        owed, never refused."""
        while True:
            try:
                return self.executor.reserve()
            except Busy as exc:
                await asyncio.sleep(max(0.2, min(float(exc.retry_after), 5.0)))
