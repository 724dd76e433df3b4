"""What many request and response bodies share: bounded strings, languages, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints

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


class PersonOut(BaseModel):
    id: int
    name: str
    email: str
