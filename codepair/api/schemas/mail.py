"""The invitations sent about a room."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MailOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    kind: Literal["invitation", "update", "cancel"]
    to: str = Field(validation_alias="to_addr")
    subject: str
    calendar: Literal["REQUEST", "CANCEL"] | None = Field(validation_alias="ics_method")
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


class RoomMailList(BaseModel):
    configured: bool  # false: no CODEPAIR_SMTP_URL, nothing is sent
    items: list[MailOut]
