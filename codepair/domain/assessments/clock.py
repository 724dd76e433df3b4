"""The server's clock for take-homes: attempts end at their deadline by themselves.

Every core process runs one :class:`TakeHomeClock`. Each ``take_home_sweep_seconds`` it
asks the database (one indexed query) for attempts past their deadline, and for invitations
never started by ``closes_at``, and ends each with a compare-and-set, so with several
instances exactly one ends it and tells the sockets. Then it grades the ended attempts that
no one has graded (the lease in :mod:`grading` keeps two processes off one). Nothing lives
in memory that a restart would lose: an attempt whose deadline passed while the server was
down ends at the first sweep after it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.engine import transaction
from codepair.db.models.assessments import TakeHome
from codepair.domain.assessments import attempts
from codepair.domain.assessments.grading import Grader

log = structlog.get_logger("codepair.take_home")

BATCH = 50
Ended = Callable[[str], Awaitable[None]]


class TakeHomeClock:
    """Ends attempts at their deadline and grades ended ones (see the module's docstring)."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        grader: Grader | None,
        on_ended: Ended,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.grader = grader
        self.on_ended = on_ended
        self._task: asyncio.Task[None] | None = None
        self._grading: dict[str, asyncio.Task[bool]] = {}

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="codepair-take-home-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._grading.values()):
            task.cancel()
        if self._grading:
            await asyncio.gather(*self._grading.values(), return_exceptions=True)

    def grade_soon(self, room_id: str) -> None:
        """Grade this ended attempt now rather than at the next sweep (after a submit)."""
        self._spawn_grade(room_id)

    async def run_once(self) -> list[str]:
        """One sweep: end what is due, start grading what is ungraded. The ended ids."""
        now = datetime.now(UTC)
        ended = []
        due, ungraded = await self._scan(now)
        for room_id in due:
            async with transaction(self.sessions) as db:
                th = await db.get(TakeHome, room_id)
                if th is None:
                    continue
                at = th.deadline_at if th.started_at is not None else th.closes_at
                ok = await attempts.finish(db, room_id, "expired", at or now)
            if ok:
                ended.append(room_id)
                log.info("take_home_expired", room_id=room_id)
                await self._tell(room_id)
        for room_id in ungraded:
            self._spawn_grade(room_id)
        return ended

    async def _scan(self, now: datetime) -> tuple[list[str], list[str]]:
        """What is due to end, and what is ended ungraded, in one session: three queries,
        each one index range (with an OR the database read every open row)."""
        async with self.sessions() as db:
            late = await db.scalars(
                select(TakeHome.room_id)
                .where(TakeHome.finished_at.is_(None), TakeHome.deadline_at <= now)
                .limit(BATCH)
            )
            never = await db.scalars(
                select(TakeHome.room_id)
                .where(TakeHome.finished_at.is_(None), TakeHome.started_at.is_(None),
                       TakeHome.closes_at <= now)
                .limit(BATCH)
            )
            due = [*late, *never]
            if self.grader is None:
                return due, []
            rows = await db.scalars(
                select(TakeHome.room_id)
                .where(
                    TakeHome.graded_at.is_(None),
                    TakeHome.finished_at.is_not(None),
                    or_(TakeHome.grading_until.is_(None), TakeHome.grading_until < now),
                )
                .limit(BATCH)
            )
            return due, [r for r in rows if r not in self._grading]

    def _spawn_grade(self, room_id: str) -> None:
        if self.grader is None or room_id in self._grading:
            return
        task = asyncio.create_task(self._grade(room_id), name=f"take-home-grade-{room_id}")
        self._grading[room_id] = task
        task.add_done_callback(lambda _t: self._grading.pop(room_id, None))

    async def _grade(self, room_id: str) -> bool:
        assert self.grader is not None
        try:
            return await self.grader.grade(room_id)
        except Exception as exc:  # the lease runs out and the next sweep tries again
            log.error("take_home_grading_failed", room_id=room_id, error=type(exc).__name__,
                      exc_info=exc)
            return False

    async def _tell(self, room_id: str) -> None:
        try:
            await self.on_ended(room_id)
        except Exception as exc:  # the room has ended in the database whatever happens here
            log.warning("take_home_notice_failed", room_id=room_id, error=repr(exc))

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a database hiccup must not stop the clock
                log.error("take_home_sweep_failed", error=type(exc).__name__, exc_info=exc)
            await asyncio.sleep(self.settings.take_home_sweep_seconds)
