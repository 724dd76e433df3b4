"""Bodies of the audit log, retention and erasure endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from codepair.api.schemas.common import Strict


class AuditActorOut(BaseModel):
    user_id: int | None
    name: str | None
    role: str | None


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    action: str
    actor: AuditActorOut | None
    ip: str | None
    room_id: str | None
    target: str | None
    detail: dict[str, Any] | None


class AuditList(BaseModel):
    items: list[AuditEventOut]
    total: int


class RetentionOut(BaseModel):
    retention_days: int = Field(
        description="Ended interviews older than this are deleted; 0: never"
    )
    default_days: int = Field(description="CODEPAIR_RETENTION_DAYS, used when no lead set one")
    source: str = Field(description="org (set in the app) or config")
    audit_retention_days: int


class RetentionIn(Strict):
    retention_days: Annotated[int, Field(ge=0, le=36500)] | None = Field(
        description="null: back to the configured default"
    )


CandidateName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
CandidateEmail = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)
]


class ErasureIn(Strict):
    candidate_name: CandidateName | None = None
    candidate_email: CandidateEmail | None = None
    dry_run: bool = False


class ErasedRoomOut(BaseModel):
    id: str
    title: str
    candidate_name: str
    created_at: datetime
    ended_at: datetime | None


class ErasureOut(BaseModel):
    rooms: list[ErasedRoomOut]
    rows: dict[str, int]
    erased: bool
