"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from codepair.security.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
AnyPassword = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=512)]
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=24)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
LANGUAGES = ("python", "javascript", "typescript", "c", "cpp", "java", "rust", "go", "shell")
Language = Literal["python", "javascript", "typescript", "c", "cpp", "java", "rust", "go", "shell"]
RoleName = Literal["lead", "interviewer"]


def _to_utc(value: datetime) -> datetime:
    """Store and answer in UTC; a time without a zone is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown time zone (use an IANA name such as Europe/Paris)") from exc
    return value


TimeZone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_known_zone)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: AnyPassword


class RefreshIn(Strict):
    refresh_token: Token


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: RoleName
    is_active: bool
    created_at: datetime


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserOut


class MeUpdate(Strict):
    name: Name | None = None


class PasswordChange(Strict):
    current_password: AnyPassword
    new_password: Password


class UserCreate(Strict):
    email: Email
    name: Name
    role: RoleName
    password: Password


class UserUpdate(Strict):
    name: Name | None = None
    role: RoleName | None = None
    is_active: bool | None = None


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class PersonOut(BaseModel):
    id: int
    name: str
    email: str


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


class RoomList(BaseModel):
    items: list[RoomOut]
    total: int


class InterviewerAdd(Strict):
    user_id: int


class JoinIn(Strict):
    invite_token: Token
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class InviteStatusOut(BaseModel):
    status: Literal["open"] = "open"


class JoinOut(BaseModel):
    room_id: str
    token: str
    role: Literal["candidate"] = "candidate"
    name: str
