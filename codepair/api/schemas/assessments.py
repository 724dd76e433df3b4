"""Take-home assessments (docs/take-home.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from codepair.api.schemas.common import PersonOut, QuestionId, Strict
from codepair.api.schemas.questions import CandidateQuestionOut

TakeHomeState = Literal["not_started", "in_progress", "submitted", "expired"]


class TakeHomeQuestionOut(CandidateQuestionOut):
    """A question the candidate has reached, at its place in the plan."""

    position: int


class GradeLine(BaseModel):
    """One question's grade: its tests run on the final code (``run_id``), or never reached."""

    room_question_id: str
    title: str
    run_id: str | None
    passed: int
    total: int
    status: str


class TakeHomeOut(BaseModel):
    """The attempt. ``server_now`` and ``seconds_left`` are the server's: the browser's clock
    may be wrong. A candidate gets no grade fields (they are null)."""

    room_id: str
    state: TakeHomeState
    layout: Literal["sequence", "all"]
    time_limit_minutes: int
    time_limit_seconds: int
    closes_at: datetime
    started_at: datetime | None
    deadline: datetime | None
    finished_at: datetime | None
    outcome: Literal["submitted", "expired"] | None
    server_now: datetime
    seconds_left: float | None
    current_question_id: str | None
    question_count: int | None = None  # how many the plan holds (the candidate's too)
    questions: list[TakeHomeQuestionOut] = []
    graded: bool | None = None
    graded_at: datetime | None = None
    passed: int | None = None
    total: int | None = None
    score: float | None = None
    results: list[GradeLine] | None = None


class TakeHomeInviteOut(BaseModel):
    """What the invite link's start page shows before the clock starts: the rules, never
    the questions (their number only). ``kind`` is ``live`` for a live interview's link,
    and then nothing else is said."""

    kind: Literal["live", "take_home"]
    title: str | None = None
    candidate_name: str | None = None
    language: str | None = None
    state: TakeHomeState | None = None
    layout: Literal["sequence", "all"] | None = None
    time_limit_minutes: int | None = None
    time_limit_seconds: int | None = None
    closes_at: datetime | None = None
    deadline: datetime | None = None
    question_count: int | None = None
    server_now: datetime | None = None


class TakeHomeListItem(TakeHomeOut):
    title: str
    candidate_name: str
    candidate_email: str | None
    language: str
    created_at: datetime
    owner: PersonOut
    invite_url: str | None


class TakeHomeList(BaseModel):
    items: list[TakeHomeListItem]
    total: int


class QuestionOpenIn(Strict):
    """The question to open; none: the next one in the plan."""

    question_id: QuestionId | None = None
