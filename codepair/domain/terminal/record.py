"""Writing a room's terminal bytes: queued without waiting, written in batches.

The shell's output arrives in reads of up to 64 KiB; writing a row per read would be a
transaction per read. :class:`TerminalRecord` coalesces each room's output for one window
(``group_commit_ms``) into one row stamped with its first byte's time, keeps keystroke
frames as their own rows, and writes everything queued in one transaction a window. A room's
output past ``max_bytes`` (a flood) is not kept: one marker says so, once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.db.engine import transaction
from codepair.db.models.interviews import Room
from codepair.db.models.terminal import TerminalChunk

log = structlog.get_logger("codepair.terminal")

MAX_QUEUED_BYTES = 64 * 1024 * 1024  # a database down for long: drop rather than grow
TRUNCATED_MARKER = b"output past the record's cap is not kept"


@dataclass(slots=True)
class Pending:
    room_id: str
    kind: str
    at: datetime
    data: bytearray = field(default_factory=bytearray)


class TerminalRecord:
    """Queues terminal chunks and writes them every ``window`` seconds."""

    def __init__(
        self, factory: async_sessionmaker[AsyncSession], window: float, *, max_bytes: int
    ) -> None:
        self._factory = factory
        self._window = window
        self.max_bytes = max_bytes
        self._queue: list[Pending] = []
        self._queued_bytes = 0
        self._open_output: dict[str, Pending] = {}  # room -> its output row of this window
        self._recorded: dict[str, int] = {}  # room -> output bytes kept by this process
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def output(self, room_id: str, data: bytes) -> None:
        """Output of a room's shell, coalesced with the rest of this window's."""
        kept = self._recorded.get(room_id, 0)
        if kept >= self.max_bytes:
            return
        room_left = self.max_bytes - kept
        chunk = data[:room_left]
        self._recorded[room_id] = kept + len(chunk)
        pending = self._open_output.get(room_id)
        if pending is None:
            pending = Pending(room_id, "o", datetime.now(UTC))
            self._open_output[room_id] = pending
            self._append(pending)
        pending.data += chunk
        self._queued_bytes += len(chunk)
        if len(chunk) < len(data):
            self.add(room_id, "m", TRUNCATED_MARKER)

    def add(self, room_id: str, kind: str, data: bytes) -> None:
        """One row of its own: a keystroke frame (``i``), a resize (``r``), a marker (``m``)."""
        self._open_output.pop(room_id, None)  # later output goes after this row
        self._append(Pending(room_id, kind, datetime.now(UTC), bytearray(data)))
        self._queued_bytes += len(data)

    def forget(self, room_id: str) -> None:
        """The room's output count starts again (the room ended or was deleted)."""
        self._recorded.pop(room_id, None)

    def _append(self, pending: Pending) -> None:
        self._queue.append(pending)
        while self._queued_bytes > MAX_QUEUED_BYTES and self._queue:
            dropped = self._queue.pop(0)
            self._queued_bytes -= len(dropped.data)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="terminal-record")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued in one transaction; on failure it stays queued."""
        async with self._lock:
            taken, self._queue = self._queue, []
            self._open_output.clear()
            if not taken:
                return
            size = sum(len(p.data) for p in taken)
            self._queued_bytes -= size
            try:
                async with transaction(self._factory) as db:
                    db.add_all(
                        TerminalChunk(room_id=p.room_id, at=p.at, kind=p.kind, data=bytes(p.data))
                        for p in taken
                    )
            except Exception:
                self._queue[:0] = taken
                self._queued_bytes += size
                raise

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._window)
            try:
                await self.flush()
            except Exception as exc:  # a room deleted meanwhile, or the database down
                log.warning("terminal_record_failed", error=type(exc).__name__)
                await self._drop_orphans()
                await asyncio.sleep(1.0)

    async def _drop_orphans(self) -> None:
        ids = {p.room_id for p in self._queue}
        if not ids:
            return
        try:
            async with self._factory() as db:
                alive = set((await db.scalars(select(Room.id).where(Room.id.in_(ids)))).all())
        except Exception:
            return
        kept = [p for p in self._queue if p.room_id in alive]
        self._queued_bytes -= sum(len(p.data) for p in self._queue if p.room_id not in alive)
        self._queue = kept
