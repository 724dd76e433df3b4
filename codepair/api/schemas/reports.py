"""Request and response bodies of scorecards and the organization's default criteria."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from codepair.api.schemas.common import Strict

Criterion = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Comment = Annotated[str, StringConstraints(max_length=4000)]
Summary = Annotated[str, StringConstraints(max_length=20_000)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
RecommendationName = Literal["strong_no", "no", "yes", "strong_yes"]
MAX_RATINGS = 30


class RatingIn(Strict):
    criterion: Criterion
    score: Annotated[int, Field(ge=1, le=4)] | None = None
    comment: Comment = ""


class ScorecardIn(Strict):
    ratings: Annotated[list[RatingIn], Field(max_length=MAX_RATINGS)]
    recommendation: RecommendationName | None = None
    summary: Summary | None = None


class RatingOut(BaseModel):
    criterion: str
    score: int | None
    comment: str


class InterviewerRef(BaseModel):
    id: int
    name: str


class ScorecardOut(BaseModel):
    interviewer: InterviewerRef
    status: Literal["draft", "submitted"]
    recommendation: RecommendationName | None
    ratings: list[RatingOut]
    summary: str
    submitted_at: datetime | None
    updated_at: datetime


class RubricItem(BaseModel):
    criterion: str
    description: str
    source: Literal["question", "default"]


class Progress(BaseModel):
    submitted: int
    expected: int


class ScorecardList(BaseModel):
    """The cards the caller may read, the room's rubric and how far the room's cards are.

    ``others_hidden``: other interviewers' cards are withheld until the caller submits."""

    items: list[ScorecardOut]
    criteria: list[RubricItem]
    progress: Progress
    others_hidden: bool


class CriterionIn(Strict):
    criterion: Criterion
    description: Description = ""


class CriteriaIn(Strict):
    items: Annotated[list[CriterionIn], Field(min_length=1, max_length=MAX_RATINGS)]


class CriterionOut(BaseModel):
    criterion: str
    description: str


class CriteriaOut(BaseModel):
    items: list[CriterionOut]


class RecommendationOut(BaseModel):
    interviewer: InterviewerRef
    recommendation: RecommendationName | None


class RoomScorecardStatus(BaseModel):
    room_id: str
    submitted: int
    expected: int
    mine: Literal["draft", "submitted"] | None
    recommendations: list[RecommendationOut] | None


class ScorecardStatusList(BaseModel):
    items: list[RoomScorecardStatus]


class WaitingRoom(BaseModel):
    room_id: str
    title: str
    candidate_name: str
    ended_at: datetime | None


class WaitingList(BaseModel):
    items: list[WaitingRoom]
