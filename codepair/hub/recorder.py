"""What the hub adds to the room's timeline: joins, leaves, language changes, activity.

The hub never waits for the database on its hot paths: :meth:`Recorder.record` stamps the
event (time and actor, from the connection's token) and queues it; one task writes the queue
every ``group_commit_ms`` in one transaction, like the update log. Order on the timeline comes
from the stamped time, not from when the write happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.db.engine import transaction
from codepair.db.models.interviews import Room
from codepair.domain.record.timeline import actor, add_event
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.hub.recorder")

MAX_QUEUED = 10_000  # a database down for long: drop the oldest rather than grow forever


@dataclass(slots=True)
class QueuedEvent:
    room_id: str
    type: str
    at: datetime
    actor: dict[str, Any]
    data: dict[str, Any]


class Recorder:
    """Queues timeline events from the hub and writes them in batches."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], window: float) -> None:
        self._factory = factory
        self._window = window
        self._queue: list[QueuedEvent] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def record(
        self,
        room_id: str,
        type: str,
        principal: Principal | None,
        data: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> datetime:
        """Queue one event, stamped now; returns the stamp."""
        stamp = at or datetime.now(UTC)
        who = (
            actor(principal)
            if principal is not None
            else {"actor_name": None, "actor_role": None}
        )
        self._queue.append(QueuedEvent(room_id, type, stamp, who, data or {}))
        if len(self._queue) > MAX_QUEUED:
            del self._queue[: len(self._queue) - MAX_QUEUED]
        return stamp

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="hub-timeline")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        """Write every queued event in one transaction; on failure they stay queued."""
        async with self._lock:
            taken, self._queue = self._queue, []
            if not taken:
                return
            try:
                async with transaction(self._factory) as db:
                    for event in taken:
                        await add_event(
                            db, event.room_id, event.type, **event.actor, data=event.data,
                            at=event.at,
                        )
            except Exception:
                self._queue[:0] = taken
                raise

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._window)
            try:
                await self.flush()
            except Exception as exc:  # a room deleted meanwhile, or the database down
                log.warning("timeline_write_failed", error=type(exc).__name__)
                await self._drop_orphans()
                await asyncio.sleep(1.0)

    async def _drop_orphans(self) -> None:
        """Forget queued events of rooms that no longer exist (their write can never work)."""
        ids = {event.room_id for event in self._queue}
        if not ids:
            return
        try:
            async with self._factory() as db:
                alive = set((await db.scalars(select(Room.id).where(Room.id.in_(ids)))).all())
        except Exception:
            return
        self._queue = [event for event in self._queue if event.room_id in alive]
