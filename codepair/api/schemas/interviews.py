"""Rooms, invites and joining."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from codepair.api.bounds import IdField
from codepair.api.schemas.common import (
    Email,
    Language,
    Name,
    PersonOut,
    QuestionId,
    Strict,
    TimeZone,
    Title,
    Token,
    UtcDatetime,
)

# The AI assistant in a room (docs/ai.md), and the room's own instructions to the model.
AiSetting = Literal["off", "on"]
AiPrompt = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class RoomCreate(Strict):
    candidate_name: Name
    title: Title = ""
    scheduled_at: UtcDatetime | None = None
    duration_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 60
    language: Language = "python"
    candidate_email: Email | None = None  # with mail configured, the invitation goes here
    candidate_timezone: TimeZone | None = None
    # The room's plan: bank questions, in order (the room keeps its own copies).
    question_ids: Annotated[list[QuestionId], Field(max_length=20)] | None = None
    ai_assistant: AiSetting = "off"
    ai_prompt: AiPrompt = ""


class RoomUpdate(Strict):
    candidate_name: Name | None = None
    title: Title | None = None
    scheduled_at: UtcDatetime | None = None
    duration_minutes: Annotated[int, Field(ge=5, le=24 * 60)] | None = None
    language: Language | None = None
    runs_enabled: bool | None = None
    candidate_email: Email | None = None
    candidate_timezone: TimeZone | None = None
    question_ids: Annotated[list[QuestionId], Field(max_length=20)] | None = None
    ai_assistant: AiSetting | None = None
    ai_prompt: AiPrompt | None = None


class CandidateRoomOut(BaseModel):
    """What a candidate may know about the room they are in."""

    id: str
    title: str
    candidate_name: str
    language: str
    status: Literal["scheduled", "live", "ended"]
    scheduled_at: datetime | None
    duration_minutes: int
    runs_enabled: bool
    started_at: datetime | None = None  # the room's clock runs from here
    ai_assistant: AiSetting = "off"  # docs/ai.md: the candidate is told when it is on


class RoomOut(CandidateRoomOut):
    """A room as its interviewers see it: people, invite, and the caller's part in it."""

    owner: PersonOut
    interviewers: list[PersonOut]
    created_at: datetime
    ended_at: datetime | None
    invite_token: str | None
    invite_url: str | None
    my_role: Literal["owner", "co", "lead"]
    candidate_email: str | None = None
    candidate_timezone: str | None = None
    ai_prompt: str = ""  # the room's own instructions to the model


class RoomList(BaseModel):
    items: list[RoomOut]
    total: int


class InterviewerAdd(Strict):
    user_id: IdField


class JoinIn(Strict):
    invite_token: Token
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class InviteStatusOut(BaseModel):
    status: Literal["open"] = "open"
    ai_assistant: AiSetting = "off"


class JoinOut(BaseModel):
    room_id: str
    token: str
    role: Literal["candidate"] = "candidate"
    name: str
