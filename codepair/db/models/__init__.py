"""The relational schema. Every change here comes with an Alembic migration.

The core tables (users, sessions, rooms, chat, the Yjs log, runs) live here; each later
concept keeps its tables in a module of its own in this package, imported at the bottom so
that ``Base.metadata`` (and Alembic) sees every table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codepair.db.models.base import NAMING, Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    lead = "lead"
    interviewer = "interviewer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuthSession(Base):
    """One sign-in: the family of refresh tokens that rotate from one login."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(40), default=None)

    user: Mapped[User] = relationship(lazy="raise")


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256. ``used_at`` set means it has been rotated."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    candidate_name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    language: Mapped[str] = mapped_column(String(32), default="python")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    runs_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the invitation goes (integrations, migration 0006); the zone shows its time.
    candidate_email: Mapped[str | None] = mapped_column(String(254), default=None)
    candidate_timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Indexed: the retention purge selects ended rooms by it (migration 0010).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    owner: Mapped[User] = relationship(lazy="raise", foreign_keys=[owner_id])
    interviewers: Mapped[list[RoomInterviewer]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    invites: Mapped[list[Invite]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class RoomInterviewer(Base):
    """A co-interviewer of a room (the owner is not listed here)."""

    __tablename__ = "room_interviewers"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


class Invite(Base):
    """A candidate invite link. Rotating revokes the old one and the candidate tokens from it."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_chat_messages_room_id_id", "room_id", "id"),)


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


class Run(Base):
    """One code run in a room: who ran what, when, and what came of it."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(Text)
    stdin: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stdout: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    compile_output: Mapped[str] = mapped_column(Text, default="")
    exit_code: Mapped[int | None] = mapped_column(Integer, default=None)
    signal: Mapped[int | None] = mapped_column(Integer, default=None)
    cpu_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    wall_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    memory_kb: Mapped[int | None] = mapped_column(Integer, default=None)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index("ix_runs_room_id_created_at", "room_id", "created_at"),)


# Each concept's tables, in modules of their own (they import Base from .base). Importing
# them here puts their tables in Base.metadata for Alembic and for tests that walk every table.
# (One import line per concept module, added by the change that adds the module.)
__all__ = [
    "NAMING",
    "AuthSession",
    "Base",
    "ChatMessage",
    "Invite",
    "RefreshToken",
    "Role",
    "Room",
    "RoomInterviewer",
    "Run",
    "UTCDateTime",
    "User",
    "YSnapshot",
    "YUpdate",
    "utcnow",
]
from codepair.db.models import audit as audit  # noqa: E402
from codepair.db.models import history as history  # noqa: E402
from codepair.db.models import integrations as integrations  # noqa: E402
from codepair.db.models import questions as questions  # noqa: E402
from codepair.db.models import scorecards as scorecards  # noqa: E402
from codepair.db.models import timeline as timeline  # noqa: E402
