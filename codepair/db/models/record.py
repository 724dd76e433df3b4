"""The interview record: the Yjs update log, its snapshots and keyframes, and the timeline.

The log (``yjs_updates``) keeps every update with its time and author for as long as the room
is kept; a snapshot or a keyframe is derived from it and can be rebuilt from it, so neither is
history of its own. The timeline (``room_events``) is one row per event (joins, chat, runs,
activity...), on one clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class YUpdate(Base):
    """One Yjs update as received: the append-only log (and the history replay is built on)."""

    __tablename__ = "yjs_updates"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    doc: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(BigInteger)
    update: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (
        UniqueConstraint("room_id", "doc", "seq", name="uq_yjs_updates_room_doc_seq"),
    )


class YSnapshot(Base):
    """The compacted state of a document: every update up to ``upto_seq`` merged."""

    __tablename__ = "yjs_snapshots"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    doc: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    upto_seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class YKeyframe(Base):
    """Every update of ``(room_id, doc)`` up to ``seq`` merged; ``at`` is that row's time.
    ``state`` is the document's encoded state, zlib-compressed."""

    __tablename__ = "yjs_keyframes"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    doc: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[bytes] = mapped_column(LargeBinary)


class RoomEvent(Base):
    """Something that happened in a room, with its time and who did it."""

    __tablename__ = "room_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(100), default=None)
    actor_role: Mapped[str | None] = mapped_column(String(20), default=None)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_room_events_room_id_at", "room_id", "at"),)
