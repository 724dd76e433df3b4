"""Interviews: rooms, their interviewers and invites, chat, and code runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codepair.db.models.accounts import User
from codepair.db.models.base import Base, UTCDateTime, utcnow


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
    # Completion and signature help for the candidate (docs/intellisense.md): "on" or "off".
    autocomplete: Mapped[str] = mapped_column(String(8), default="on", server_default="on")
    # "live" (an interview) or "take_home" (the candidate alone, on the clock; migration
    # 0012, codepair/domain/assessments/).
    kind: Mapped[str] = mapped_column(String(16), default="live", server_default="live")
    # Where the invitation goes (integrations, migration 0006); the zone shows its time.
    candidate_email: Mapped[str | None] = mapped_column(String(254), default=None)
    candidate_timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    # The AI assistant in this room (docs/ai.md, migration 0013): "on" or "off", and the
    # room's own instructions to the model, after the lead's default system prompt.
    ai_assistant: Mapped[str] = mapped_column(String(8), default="off")
    ai_prompt: Mapped[str] = mapped_column(Text, default="")
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
