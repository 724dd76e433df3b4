"""Runs in interview rooms: admission, the record in the database, and the live events.

A run is admitted (rate limits per person and per room, a place in the executor's queue) and
stored as ``queued`` before anything runs, so a refused run leaves no row and an admitted one
is on record even if the server dies mid-run. It then executes in a task of its own: the HTTP
request that started it may wait for the result or go away; everyone in the room sees
``run.started``, ``run.output`` and ``run.finished`` on the events socket.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.engine import transaction
from codepair.db.models.interviews import Run
from codepair.domain.errors import RateLimited
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.record.timeline import add_event
from codepair.runner.executor import (
    PENDING_STATUSES,
    Busy,
    Executor,
    RunRequest,
    RunResult,
    Ticket,
)
from codepair.security.tokens import new_id

log = structlog.get_logger("codepair.runner")

#: Live output is sent in batches at most this often, so a chatty program cannot flood the room.
OUTPUT_FLUSH_SECONDS = 0.1


class RunnerBusy(RateLimited):
    """Every worker is busy and the line is full: 503 with Retry-After."""

    status = 503


def run_event(run: Run) -> dict[str, Any]:
    """A run as the REST API and the events socket show it."""
    return {
        "id": run.id,
        "room_id": run.room_id,
        "language": run.language,
        "status": run.status,
        "code": run.code,
        "stdin": run.stdin,
        "stdout": run.stdout,
        "stderr": run.stderr,
        "compile_output": run.compile_output,
        "exit_code": run.exit_code,
        "signal": run.signal,
        "cpu_ms": run.cpu_ms,
        "wall_ms": run.wall_ms,
        "memory_kb": run.memory_kb,
        "truncated": run.truncated,
        "author": {"name": run.author_name, "role": run.author_role},
        "created_at": _iso(run.created_at),
        "finished_at": _iso(run.finished_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class RoomRuns:
    """Starts, records and broadcasts the runs of every room served by this process."""

    def __init__(
        self,
        executor: Executor,
        db: async_sessionmaker[AsyncSession],
        settings: Settings,
        broadcast: Callable[[str, dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.executor = executor
        self.db = db
        self.settings = settings
        self.broadcast = broadcast
        self.per_person = RateLimiter(settings.runs_per_minute_per_person, 60)
        self.per_room = RateLimiter(settings.runs_per_minute_per_room, 60)
        self.tasks: set[asyncio.Task[None]] = set()

    def admit(self, person: str, room_id: str) -> Ticket:
        """A place in the queue, or :class:`RateLimited` / :class:`RunnerBusy` at once."""
        wait = max(self.per_person.retry_after(person), self.per_room.retry_after(room_id))
        if wait > 0:
            raise RateLimited("Too many runs; try again later", retry_after=wait)
        try:
            ticket = self.executor.reserve()
        except Busy as exc:
            raise RunnerBusy(str(exc), retry_after=exc.retry_after) from exc
        # Only admitted runs count against the limits: a busy answer costs nothing.
        self.per_person.hit(person)
        self.per_room.hit(room_id)
        return ticket

    async def start(
        self,
        run: Run,
        ticket: Ticket,
        execute: Callable[[], Coroutine[Any, Any, None]] | None = None,
        *,
        project: RunRequest | None = None,
    ) -> asyncio.Task[None]:
        """Store ``run`` as queued and execute it in the background (``execute``, when given,
        instead of one plain run: a question's tests, codepair/domain/questions/runs.py).
        ``project`` is the request of a run of the room's whole tree (its entry is ``run``'s
        code)."""
        try:
            async with transaction(self.db) as db:
                db.add(run)
                await db.flush()
                await add_event(
                    db, run.room_id, "run", actor_name=run.author_name,
                    actor_role=run.author_role, actor_user_id=run.author_user_id,
                    data={"run_id": run.id}, at=run.created_at,
                )
        except BaseException:
            ticket.release()
            raise
        request = project or RunRequest(language=run.language, code=run.code, stdin=run.stdin)
        work = execute() if execute is not None else self._execute(
            run.id, run.room_id, request, ticket
        )
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def get(self, room_id: str, run_id: str) -> Run | None:
        async with self.db() as db:
            run = await db.get(Run, run_id)
        if run is None or run.room_id != room_id:
            return None
        return (await self._settle_stale([run]))[0]

    async def for_room(self, room_id: str, *, limit: int, offset: int) -> list[Run]:
        async with self.db() as db:
            rows = await db.scalars(
                select(Run)
                .where(Run.room_id == room_id)
                .order_by(Run.created_at.desc(), Run.id.desc())
                .limit(limit)
                .offset(offset)
            )
            runs = list(rows)
        return await self._settle_stale(runs)

    def stale_after(self) -> float:
        """Seconds after which a queued or running run cannot still be going anywhere."""
        s = self.settings
        one_run = s.runner_compile_time_limit_seconds * 2 + s.runner_time_limit_seconds * 2 + 1
        in_line = s.runner_queue_size / max(1, s.runner_concurrency) + 1
        return one_run * in_line + 60

    async def _settle_stale(self, runs: list[Run]) -> list[Run]:
        """Record runs that a dead server left queued or running as interrupted.

        Any instance may answer for a run started by another, so this goes by time, not by
        this process's own tasks: past :meth:`stale_after` no backend is still on it.
        """
        now = datetime.now(UTC)
        out = []
        for run in runs:
            age = (now - run.created_at).total_seconds()
            if run.status in PENDING_STATUSES and age > self.stale_after():
                note = "[The run was interrupted: the server stopped]"
                run = await self._set(run.id, status="internal_error", finished_at=now,
                                      stderr=f"{run.stderr}\n{note}" if run.stderr else note)
            out.append(run)
        return out

    async def close(self) -> None:
        """Stop the sandboxes, then let each run record how it ended."""
        await self.executor.close()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=5)

    # --- one run ------------------------------------------------------------------------

    async def _broadcast(self, room_id: str, event: dict[str, Any]) -> None:
        try:
            await self.broadcast(room_id, event)
        except Exception as exc:  # a room without listeners must not fail the run
            log.warning("run_broadcast_failed", room_id=room_id, error=repr(exc))

    async def _set(self, run_id: str, **values: Any) -> Run:
        async with transaction(self.db) as db:
            run = await db.get(Run, run_id)
            assert run is not None
            for key, value in values.items():
                setattr(run, key, value)
        return run

    async def _execute(
        self, run_id: str, room_id: str, request: RunRequest, ticket: Ticket
    ) -> None:
        pending: list[tuple[str, str]] = []
        flusher: asyncio.Task[None] | None = None
        finished = asyncio.Event()

        async def flush_output() -> None:
            # Stopped by ``finished``, never cancelled: a batch is sent whole.
            while not finished.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), OUTPUT_FLUSH_SECONDS)
                await send_output()

        async def send_output() -> None:
            batch = pending[:]
            pending.clear()
            for stream in ("stdout", "stderr"):
                text = "".join(t for s, t in batch if s == stream)
                if text:
                    await self._broadcast(
                        room_id,
                        {"type": "run.output", "run_id": run_id, "stream": stream, "text": text},
                    )

        async def started() -> None:
            nonlocal flusher
            run = await self._set(run_id, status="running")
            await self._broadcast(room_id, {"type": "run.started", "run": run_event(run)})
            flusher = asyncio.create_task(flush_output())

        try:
            result = await self.executor.run(
                request,
                ticket=ticket,
                on_start=started,
                on_output=lambda stream, text: pending.append((stream, text)),
            )
        except Exception as exc:
            log.error("run_crashed", run_id=run_id, error=repr(exc), exc_info=exc)
            result = RunResult.internal_error("The runner failed")
        finally:
            ticket.release()
            finished.set()
        if flusher is not None:
            await flusher
        await send_output()
        run = await self._set(run_id, finished_at=datetime.now(UTC), **_stored(result))
        await self._broadcast(room_id, {"type": "run.finished", "run": run_event(run)})
        log.info("run_finished", run_id=run_id, language=request.language, status=result.status,
                 wall_ms=result.wall_ms)


def _stored(result: RunResult) -> dict[str, Any]:
    """The result's columns; its message (a limit, a refusal) goes at the end of stderr."""
    stderr = result.stderr
    compile_output = result.compile_output
    if result.message:
        note = f"[{result.message}]"
        if result.status == "compile_error":
            if not compile_output.strip() or result.message != "Compilation failed":
                compile_output = f"{compile_output}\n{note}" if compile_output else note
        else:
            stderr = f"{stderr.rstrip(chr(10))}\n{note}" if stderr else note
    return {
        "status": result.status,
        "stdout": result.stdout,
        "stderr": stderr,
        "compile_output": compile_output,
        "exit_code": result.exit_code,
        "signal": result.signal,
        "cpu_ms": result.cpu_ms,
        "wall_ms": result.wall_ms,
        "memory_kb": result.memory_kb,
        "truncated": result.truncated,
    }


def new_run(
    *, room_id: str, author_user_id: int | None, author_name: str, author_role: str,
    language: str, code: str, stdin: str,
) -> Run:
    """A queued run row."""
    return Run(
        id=new_id(),
        room_id=room_id,
        author_user_id=author_user_id,
        author_name=author_name,
        author_role=author_role,
        language=language,
        code=code,
        stdin=stdin,
        status="queued",
        created_at=datetime.now(UTC),
    )
