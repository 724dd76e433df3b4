"""The audit log (append-only for the application) and the organisation's settings.

An audit row names its room in ``room_ref``, on purpose neither called ``room_id`` nor a
foreign key: the log must outlive the rooms it speaks of (a ``room.deleted`` row is about a
room that is gone), so a room's purge does not cascade into it. Rows never carry a candidate's
name or email, so erasing a candidate leaves nothing of them here (docs/operations.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """Who did what, when and from where. Inserted, never updated; deleted only past retention."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    # The actor as they were at the time: a later rename or deletion does not rewrite history.
    actor_user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_name: Mapped[str | None] = mapped_column(String(100), default=None)
    actor_role: Mapped[str | None] = mapped_column(String(20), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    room_ref: Mapped[str | None] = mapped_column(String(24), default=None)
    target: Mapped[str | None] = mapped_column(String(254), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
        Index("ix_audit_events_actor_user_id_at", "actor_user_id", "at"),
        Index("ix_audit_events_room_ref_at", "room_ref", "at"),
    )


class AuditPurgeGate(Base):
    """A row here, inside the purging transaction only, lets the log's triggers allow DELETE.

    The database refuses UPDATE of audit rows always and DELETE unless this table has a row,
    so no code path but :func:`codepair.domain.operations.audit.purge_expired` can remove them.
    """

    __tablename__ = "audit_purge_gate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class OrgSetting(Base):
    """An organisation-wide setting that leads change in the app (``retention_days``...)."""

    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer, default=None)
