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

Autocomplete = Literal["on", "off"]
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
    autocomplete: Autocomplete = "on"
    # A take-home (docs/take-home.md): the candidate alone, on the server's clock. Needs
    # question_ids, closes_at (the last moment it can be started) and time_limit_minutes.
    kind: Literal["live", "take_home"] = "live"
    closes_at: UtcDatetime | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None
    # "sequence": one question after another; "all": every question at once.
    question_layout: Literal["sequence", "all"] = "sequence"
    ai_assistant: AiSetting = "off"
    ai_prompt: AiPrompt = ""


class RoomUpdate(Strict):
    candidate_name: Name | None = None
    title: Title | None = None
    scheduled_at: UtcDatetime | None = None
    duration_minutes: Annotated[int, Field(ge=5, le=24 * 60)] | None = None
    language: Language | None = None
    runs_enabled: bool | None = None
    autocomplete: Autocomplete | None = None
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
    # Completion for the candidate (language servers; docs/intellisense.md). Diagnostics stay.
    autocomplete: Autocomplete = "on"
    started_at: datetime | None = None  # the room's clock runs from here
    kind: Literal["live", "take_home"] = "live"
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
    # A take-home: start the clock (the first join of one must say so; later joins resume).
    start: bool = False


class InviteStatusOut(BaseModel):
    status: Literal["open"] = "open"
    kind: Literal["live", "take_home"] = "live"
    ai_assistant: AiSetting = "off"


class JoinOut(BaseModel):
    room_id: str
    token: str
    role: Literal["candidate"] = "candidate"
    name: str
    # A take-home's deadline (the server's); the token stops working then.
    deadline: datetime | None = None
