"""Take-home assessments: the attempt beside its room (the room is the record, as ever).

A take-home is a room (``rooms.kind = 'take_home'``) with one row here: its time limit, the
last moment it can be started, and once started the server's deadline. The deadline is
stored, so every core process finds an attempt past it, after a restart too
(codepair/domain/assessments/clock.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class TakeHome(Base):
    """One candidate's attempt at a take-home: its rules, its clock, its outcome, its grade."""

    __tablename__ = "take_homes"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "sequence": one question after another, no way back; "all": every question at once.
    layout: Mapped[str] = mapped_column(String(10), default="sequence")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The earlier of start + limit and closes_at.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # "submitted" (the candidate), "expired" (the deadline, or never started by closes_at).
    outcome: Mapped[str | None] = mapped_column(String(10), default=None)
    # The room question in the editor now, and the code left in the others when the
    # candidate moved on: {room question id: code}. Grading reads both.
    current_question_id: Mapped[str | None] = mapped_column(String(24), default=None)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Grading: claimed with a lease (a process that dies mid-way leaves it to another).
    grading_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    passed: Mapped[int | None] = mapped_column(Integer, default=None)
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    # [{room_question_id, title, run_id, passed, total, status}] in plan order.
    results: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)

    # The clock's three questions, each one index range (bench/take_home_clock.py): what is
    # open past its deadline, what was never started by closes_at, what is ended ungraded.
    __table_args__ = (
        Index("ix_take_homes_open_deadline", "finished_at", "deadline_at"),
        Index("ix_take_homes_open_closes", "finished_at", "started_at", "closes_at"),
        Index("ix_take_homes_ungraded", "graded_at", "finished_at"),
    )
