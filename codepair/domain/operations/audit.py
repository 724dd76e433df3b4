"""The audit log: who did what, when and from where.

:func:`record` adds a row in the caller's transaction, so an action and its audit row commit
or roll back together. The application never updates or deletes audit rows; the database's
triggers (migration 0002) refuse it, with one exception: :func:`purge_expired`, which removes
rows older than ``CODEPAIR_AUDIT_RETENTION_DAYS`` through the purge gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.limits import as_id
from codepair.db.models.base import utcnow
from codepair.db.models.operations import AuditEvent, AuditPurgeGate
from codepair.security.tokens import Principal

MAX_DETAIL_KEYS = 20
MAX_DETAIL_STR = 500


def _bounded(value: Any, depth: int = 0) -> Any:
    """A detail value cut to size: the log must not become a store for arbitrary input."""
    if isinstance(value, str):
        return value[:MAX_DETAIL_STR]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= 3:
        return str(value)[:MAX_DETAIL_STR]
    if isinstance(value, dict):
        items = list(value.items())[:MAX_DETAIL_KEYS]
        return {str(k)[:64]: _bounded(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [_bounded(v, depth + 1) for v in list(value)[:MAX_DETAIL_KEYS]]
    return str(value)[:MAX_DETAIL_STR]


async def record(
    db: AsyncSession,
    action: str,
    *,
    actor: Principal | None,
    ip: str | None = None,
    room_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit row in the caller's transaction (it commits with the action it records).

    A candidate actor is stored by its candidate id, never by name: the log keeps no
    candidate's personal data, so erasing a candidate needs no audit row changed.
    """
    row = AuditEvent(
        at=utcnow(),
        action=action[:40],
        ip=ip[:64] if ip else None,
        room_ref=room_id,
        target=target[:254] if target else None,
        detail=_bounded(detail) if detail else None,
    )
    if actor is not None:
        row.actor_role = actor.role
        if actor.is_candidate:
            row.actor_name = None
            row.target = row.target or f"candidate:{actor.candidate_id}"
        else:
            row.actor_user_id = actor.user_id
            row.actor_name = actor.name[:100]
    db.add(row)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a lead may narrow the log to. ``actor``: a user id, or part of a name."""

    action: str | None = None
    actor: str | None = None
    room: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def _where(stmt: Select[Any], f: AuditFilter) -> Select[Any]:
    if f.action:
        # "room." matches every room action; an exact name matches itself.
        if f.action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == f.action)
    if f.actor:
        if (actor_id := as_id(f.actor)) is not None:
            stmt = stmt.where(AuditEvent.actor_user_id == actor_id)
        else:
            stmt = stmt.where(
                func.lower(AuditEvent.actor_name).contains(f.actor.lower(), autoescape=True)
            )
    if f.room:
        stmt = stmt.where(AuditEvent.room_ref == f.room)
    if f.since is not None:
        stmt = stmt.where(AuditEvent.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEvent.at < f.until)
    return stmt


async def list_events(db: AsyncSession, f: AuditFilter) -> tuple[list[dict[str, Any]], int]:
    """The newest first, one page, and how many match in all."""
    page = _where(select(AuditEvent.__table__), f).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )
    rows = (await db.execute(page.limit(f.limit).offset(f.offset))).mappings().all()
    total = (await db.execute(_where(select(func.count()).select_from(AuditEvent), f))).scalar_one()
    return [dict(r) for r in rows], int(total)


async def purge_expired(db: AsyncSession, days: int, *, now: datetime | None = None) -> int:
    """Delete audit rows older than ``days`` (0: keep them all); returns how many went.

    The gate row opens the delete trigger for this transaction only, and goes with it.
    """
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    await db.execute(insert(AuditPurgeGate).values(id=1))
    result = await db.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    await db.execute(delete(AuditPurgeGate))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
