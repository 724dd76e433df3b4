"""Scorecards: each interviewer's structured judgment of a room, and the organization's
default criteria every room's rubric starts from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class Scorecard(Base):
    """One interviewer's card for one room: a draft until submitted, then locked.

    ``ratings`` is a list of ``{criterion, score, comment}`` (score 1 to 4 or None), kept as
    JSON: the rubric of a room changes with its questions and the organization's criteria,
    and a card keeps the criteria it was written against.
    """

    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    interviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="draft")
    ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recommendation: Mapped[str | None] = mapped_column(String(20), default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("room_id", "interviewer_id", name="uq_scorecards_room_user"),
    )


class ScorecardCriterion(Base):
    """A default criterion of the organization's rubric (leads edit them)."""

    __tablename__ = "scorecard_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
