"""Retention and deletion: ended interviews past their time, and one candidate's data at once.

A room's data is every row of every table with a ``room_id`` column (each such column is a
foreign key to ``rooms.id`` with ``ON DELETE CASCADE``). Deleting walks those tables itself,
children before parents, then deletes the rooms: the cascade alone would do it, and the walk
keeps a table that forgot its cascade from blocking (or surviving) a purge. The audit log is
not room data: its ``room_ref`` is kept, and it never holds a candidate's name or email.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.base import Base, utcnow
from codepair.db.models.interviews import Room
from codepair.db.models.operations import OrgSetting
from codepair.domain.errors import Unprocessable
from codepair.domain.operations import audit
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.retention")

RETENTION_KEY = "retention_days"
MAX_RETENTION_DAYS = 36500
MAX_ROOMS_PER_PURGE = 500  # what one dry run lists, and one erasure deletes
# Rooms per purge transaction: a room's update log can run to thousands of rows, and on
# SQLite a long write transaction holds up the hub's group commit (the typing of live rooms).
PURGE_BATCH = 5


@dataclass(frozen=True, slots=True)
class Retention:
    """How long ended interviews are kept (0: for ever), and where that number comes from."""

    days: int
    default_days: int
    source: str  # "org" (a lead set it in the app) or "config" (CODEPAIR_RETENTION_DAYS)
    audit_days: int


async def get_retention(db: AsyncSession, settings: Settings) -> Retention:
    value = await db.scalar(select(OrgSetting.value).where(OrgSetting.key == RETENTION_KEY))
    default = settings.retention_days
    if isinstance(value, int) and not isinstance(value, bool):
        return Retention(value, default, "org", settings.audit_retention_days)
    return Retention(default, default, "config", settings.audit_retention_days)


async def set_retention(
    db: AsyncSession, settings: Settings, days: int | None, *, by: Principal, ip: str | None
) -> Retention:
    """A lead's choice; ``None`` goes back to the configured default."""
    if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
        raise Unprocessable(f"retention_days must be between 0 and {MAX_RETENTION_DAYS}")
    before = await get_retention(db, settings)
    row = await db.get(OrgSetting, RETENTION_KEY)
    if days is None:
        if row is not None:
            await db.delete(row)
    elif row is None:
        db.add(OrgSetting(key=RETENTION_KEY, value=days, updated_by=by.user_id))
    else:
        row.value = days
        row.updated_by = by.user_id
    await db.flush()
    after = await get_retention(db, settings)
    await audit.record(
        db,
        "settings.updated",
        actor=by,
        ip=ip,
        target=RETENTION_KEY,
        detail={"from": before.days, "to": after.days, "source": after.source},
    )
    return after


def room_tables() -> list[Table]:
    """Every table holding a room's rows, children first (tables added later included)."""
    return [
        t
        for t in reversed(Base.metadata.sorted_tables)
        if "room_id" in t.c and t.name != Room.__tablename__
    ]


@dataclass
class Deleted:
    """What a purge or an erasure removed (or, on a dry run, would remove)."""

    rooms: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    audit_rows: int = 0

    @property
    def room_ids(self) -> list[str]:
        return [r["id"] for r in self.rooms]


_ROOM_COLS = (Room.id, Room.title, Room.candidate_name, Room.created_at, Room.ended_at)


async def _describe(db: AsyncSession, where: Any, limit: int) -> list[dict[str, Any]]:
    stmt = select(*_ROOM_COLS).where(where).order_by(Room.ended_at, Room.id).limit(limit)
    return [dict(r) for r in (await db.execute(stmt)).mappings().all()]


async def _count_rows(db: AsyncSession, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in room_tables():
        n = await db.scalar(select(func.count()).select_from(table).where(table.c.room_id.in_(ids)))
        if n:
            counts[table.name] = int(n)
    return counts


async def delete_rooms(db: AsyncSession, ids: list[str]) -> dict[str, int]:
    """Delete these rooms and every row of theirs, in the caller's transaction."""
    if not ids:
        return {}
    counts: dict[str, int] = {}
    for table in room_tables():
        result = await db.execute(delete(table).where(table.c.room_id.in_(ids)))
        if result.rowcount:  # type: ignore[attr-defined]
            counts[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    result = await db.execute(delete(Room).where(Room.id.in_(ids)))
    counts[Room.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


async def purge(
    db: AsyncSession,
    settings: Settings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    limit: int = MAX_ROOMS_PER_PURGE,
) -> Deleted:
    """Ended interviews older than the retention (0 days: none), and expired audit rows."""
    now = now or utcnow()
    retention = await get_retention(db, settings)
    out = Deleted()
    if retention.days > 0:
        cutoff = now - timedelta(days=retention.days)
        out.rooms = await _describe(
            db, (Room.ended_at.is_not(None)) & (Room.ended_at < cutoff), limit
        )
    if dry_run:
        out.rows = await _count_rows(db, out.room_ids) if out.rooms else {}
        return out
    if out.rooms:
        out.rows = await delete_rooms(db, out.room_ids)
        await audit.record(
            db,
            "retention.purged",
            actor=None,
            detail={"rooms": len(out.rooms), "room_ids": out.room_ids, "days": retention.days},
        )
    out.audit_rows = await audit.purge_expired(db, retention.audit_days, now=now)
    return out


async def purge_in_batches(
    factory: Any,
    settings: Settings,
    *,
    on_batch: Callable[[list[str]], Awaitable[None]] | None = None,
) -> Deleted:
    """:func:`purge` until nothing is left, :data:`PURGE_BATCH` rooms per transaction."""
    total = Deleted()
    while True:
        async with factory() as db, db.begin():
            out = await purge(db, settings, limit=PURGE_BATCH)
        total.rooms += out.rooms
        total.audit_rows += out.audit_rows
        for table, n in out.rows.items():
            total.rows[table] = total.rows.get(table, 0) + n
        if out.rooms and on_batch is not None:
            await on_batch(out.room_ids)
        if len(out.rooms) < PURGE_BATCH:
            return total
        await asyncio.sleep(0)  # let the loop serve others between transactions


def _candidate_match(name: str | None, email: str | None) -> Any:
    clauses = []
    if name:
        clauses.append(func.lower(Room.candidate_name) == name.strip().lower())
    email_col = Room.__table__.c.get("candidate_email")  # added by the integrations migration
    if email and email_col is not None:
        clauses.append(func.lower(email_col) == email.strip().lower())
    if not clauses:
        raise Unprocessable("Give the candidate's name or email")
    return or_(*clauses)


async def erase_candidate(
    db: AsyncSession,
    *,
    name: str | None,
    email: str | None,
    by: Principal,
    ip: str | None,
    dry_run: bool = False,
) -> Deleted:
    """Every room of one candidate (by exact name or email, case aside), live or ended."""
    out = Deleted(rooms=await _describe(db, _candidate_match(name, email), MAX_ROOMS_PER_PURGE))
    if dry_run or not out.rooms:
        out.rows = await _count_rows(db, out.room_ids) if out.rooms else {}
        return out
    out.rows = await delete_rooms(db, out.room_ids)
    await audit.record(
        db,
        "candidate.erased",
        actor=by,
        ip=ip,
        detail={"rooms": len(out.rooms), "room_ids": out.room_ids},
    )
    return out


class PurgeTask:
    """The server's own purge: every ``purge_interval_seconds``, one short transaction.

    Cheap when there is nothing to do: one query for ended rooms past the retention and one
    delete of audit rows past theirs. Several core instances may each run it: a room deleted
    by one is simply not found by the other.
    """

    def __init__(
        self,
        settings: Settings,
        factory: Any,
        on_deleted: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.on_deleted = on_deleted
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="codepair-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> Deleted:
        out = await purge_in_batches(self.factory, self.settings, on_batch=self.on_deleted)
        if out.rooms:
            log.info("retention_purged", rooms=len(out.rooms), audit_rows=out.audit_rows)
        return out

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval_seconds)
            try:
                await self.run_once()
            except Exception as exc:  # a failed round is retried at the next one
                log.error("retention_purge_failed", error=type(exc).__name__, exc_info=exc)
