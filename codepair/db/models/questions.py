"""The question bank, each room's own copies of its questions, and test results of runs.

A room keeps a copy (title, prompt, tests, solution, ...) of every question in its plan, so
editing the bank later never changes what an interview was about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class Question(Base):
    """A question of the bank. ``tests`` is a list of ``{name, stdin, expected_stdout,
    hidden, compare}``; ``tag_index`` holds the tags as ``,a,b,`` for a portable search."""

    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    title: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[str] = mapped_column(String(10), default="medium")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    tag_index: Mapped[str] = mapped_column(String(1000), default=",")
    starters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    tests: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    solution: Mapped[str] = mapped_column(Text, default="")
    solution_language: Mapped[str] = mapped_column(String(32), default="python")
    guidance: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # A project question (docs/projects.md): the starter tree the candidate sees, the files a
    # tests run adds beside it (never shown to a candidate), the entry file, and the command
    # lines that run and test the project (the tests write JUnit XML).
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    hidden_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    entry: Mapped[str] = mapped_column(String(255), default="")
    run_command: Mapped[str] = mapped_column(String(1000), default="")
    test_command: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RoomQuestion(Base):
    """A room's own copy of a question, at its place in the room's plan."""

    __tablename__ = "room_questions"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    question_id: Mapped[str | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), default=None, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[str] = mapped_column(String(10), default="medium")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    starters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    tests: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    solution: Mapped[str] = mapped_column(Text, default="")
    solution_language: Mapped[str] = mapped_column(String(32), default="python")
    guidance: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # A project question (docs/projects.md): the starter tree the candidate sees, the files a
    # tests run adds beside it (never shown to a candidate), the entry file, and the command
    # lines that run and test the project (the tests write JUnit XML).
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    hidden_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    entry: Mapped[str] = mapped_column(String(255), default="")
    run_command: Mapped[str] = mapped_column(String(1000), default="")
    test_command: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index("ix_room_questions_room_id_position", "room_id", "position"),)


class RunTests(Base):
    """The test results of a run made with ``{"tests": true}``: one row beside the run."""

    __tablename__ = "run_tests"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    room_question_id: Mapped[str | None] = mapped_column(
        ForeignKey("room_questions.id", ondelete="SET NULL"), default=None
    )
    passed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # [{name, hidden, passed, status, wall_ms, cpu_ms, stdin, expected_stdout, actual_stdout,
    #   stderr}]: the full record; candidates get a reduced view (domain/questions/runs.py).
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
