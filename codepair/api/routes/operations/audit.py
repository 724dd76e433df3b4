"""The audit log, retention and candidate erasure: leads only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from codepair.api.bounds import Offset
from codepair.api.deps import CurrentLead, DbSession, SettingsDep, client_ip
from codepair.api.notify import after_commit_room_ended
from codepair.api.schemas.common import UtcDatetime
from codepair.api.schemas.operations import (
    AuditActorOut,
    AuditEventOut,
    AuditList,
    ErasedRoomOut,
    ErasureIn,
    ErasureOut,
    RetentionIn,
    RetentionOut,
)
from codepair.domain.operations import audit, retention

router = APIRouter(tags=["audit"])


def _event_out(row: dict[str, Any]) -> AuditEventOut:
    has_actor = row["actor_role"] is not None or row["actor_user_id"] is not None
    return AuditEventOut(
        id=row["id"],
        at=row["at"],
        action=row["action"],
        actor=AuditActorOut(
            user_id=row["actor_user_id"], name=row["actor_name"], role=row["actor_role"]
        )
        if has_actor
        else None,
        ip=row["ip"],
        room_id=row["room_ref"],
        target=row["target"],
        detail=row["detail"],
    )


@router.get("/api/audit")
async def list_audit(
    _lead: CurrentLead,
    db: DbSession,
    action: Annotated[str | None, Query(max_length=40)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    room: Annotated[str | None, Query(max_length=24)] = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> AuditList:
    """Newest first. ``action``: an exact name, or a prefix ending in a dot (``room.``);
    ``actor``: a user id, or part of a name; ``room``: a room id; ``since``/``until``: ISO 8601."""
    f = audit.AuditFilter(
        action=action, actor=actor, room=room, since=since, until=until, limit=limit, offset=offset
    )
    rows, total = await audit.list_events(db, f)
    return AuditList(items=[_event_out(r) for r in rows], total=total)


def _retention_out(r: retention.Retention) -> RetentionOut:
    return RetentionOut(
        retention_days=r.days,
        default_days=r.default_days,
        source=r.source,
        audit_retention_days=r.audit_days,
    )


@router.get("/api/settings/retention")
async def read_retention(_lead: CurrentLead, db: DbSession, settings: SettingsDep) -> RetentionOut:
    return _retention_out(await retention.get_retention(db, settings))


@router.put("/api/settings/retention")
async def update_retention(
    body: RetentionIn, lead: CurrentLead, db: DbSession, settings: SettingsDep, request: Request
) -> RetentionOut:
    """How long ended interviews are kept; the server's purge task applies it within the hour."""
    r = await retention.set_retention(
        db, settings, body.retention_days, by=lead, ip=client_ip(request)
    )
    return _retention_out(r)


@router.post("/api/candidates/erase")
async def erase_candidate(
    body: ErasureIn, lead: CurrentLead, db: DbSession, request: Request
) -> ErasureOut:
    """Delete every interview of one candidate (exact name or email, case aside) at once,
    live or ended, with all their rows; ``dry_run`` lists what would go and deletes nothing."""
    out = await retention.erase_candidate(
        db,
        name=body.candidate_name,
        email=body.candidate_email,
        by=lead,
        ip=client_ip(request),
        dry_run=body.dry_run,
    )
    if not body.dry_run:
        for room_id in out.room_ids:  # open sockets of a deleted room close
            after_commit_room_ended(request, room_id)
    return ErasureOut(
        rooms=[ErasedRoomOut(**r) for r in out.rooms],
        rows=out.rows,
        erased=not body.dry_run and bool(out.rooms),
    )
