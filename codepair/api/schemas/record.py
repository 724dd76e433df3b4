"""Bodies of the interview record's endpoints: timeline, history at a moment, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Actor(BaseModel):
    name: str
    role: str | None


class TimelineEvent(BaseModel):
    """One event; each type adds its own fields (``text``, ``run_id``, ``chars``...)."""

    model_config = ConfigDict(extra="allow")

    id: int
    at: datetime
    type: str
    actor: Actor | None


class TimelineOut(BaseModel):
    events: list[TimelineEvent]


class HistoryOut(BaseModel):
    """A document as it stood at ``at``: the last update applied is ``seq``."""

    at: datetime
    seq: int
    doc: str
    text: str
    language: str | None = None
    # The code document's project: the entry file's path and every file's text, entry included.
    entry: str | None = None
    files: dict[str, str] | None = None
    elements: list[dict[str, Any]] | None = None  # the board's, when the board module exists


class ReplayAuthor(BaseModel):
    id: str  # the log's author: user:ID, candidate:ID, system, reconcile
    name: str
    role: str


class Keyframe(BaseModel):
    seq: int
    at: datetime
    state: str  # base64 of the zlib-compressed Yjs state holding every update up to seq


class UpdatesOut(BaseModel):
    """A page of a document's log: ``[seq, at (ms since the epoch), author index, base64]``
    per update, oldest first; ``next_after`` is the seq to ask after, or null at the end."""

    doc: str
    authors: list[ReplayAuthor]
    updates: list[tuple[int, int, int, str]]
    next_after: int | None


class ReplayDoc(BaseModel):
    keyframes: list[Keyframe]
    updates: list[tuple[int, int, int, str]]


class ReplayRun(BaseModel):
    id: str
    created_at: datetime
    finished_at: datetime | None
    status: str
    language: str
    author: Actor
    code: str
    stdin: str
    stdout: str
    stderr: str
    compile_output: str
    exit_code: int | None


class ReplayRoom(BaseModel):
    id: str
    title: str
    candidate_name: str
    language: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class ReplayOut(BaseModel):
    """Everything the replay page needs, in one answer: the page rebuilds any moment itself
    (the last keyframe before it plus the updates up to it)."""

    room: ReplayRoom
    now: datetime
    authors: list[ReplayAuthor]
    docs: dict[str, ReplayDoc]
    events: list[TimelineEvent]
    runs: list[ReplayRun]
