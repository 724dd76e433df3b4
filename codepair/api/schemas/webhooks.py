"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from codepair.api.schemas import Strict

EventType = Literal["interview.created", "interview.ended", "scorecard.submitted"]
WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]


class WebhookCreate(Strict):
    url: WebhookUrl
    events: Annotated[list[EventType], Field(min_length=1, max_length=3)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    """Answered once, at creation: the signing secret is shown here and never again."""

    secret: str


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    total: int
