"""Integrations: API tokens, the invitations sent about a room, single sign-on, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from codepair.api.schemas.common import Name, Strict

# Personal API tokens.

Scope = Literal["rooms:read", "rooms:write"]


class ApiTokenCreate(Strict):
    name: Name
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2)]


class ApiTokenOut(BaseModel):
    id: str
    name: str
    hint: str  # the token's first characters, to tell tokens apart
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    """Answered once, at creation: the token itself is never shown again."""

    token: str


class ApiTokenList(BaseModel):
    items: list[ApiTokenOut]



# The invitations sent about a room.

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



# Single sign-on and the sign-in settings.

class SignInOptions(BaseModel):
    """What the sign-in page offers (public)."""

    oidc_enabled: bool
    oidc_name: str
    password_login_enabled: bool


class SignInSettingsOut(BaseModel):
    password_login_enabled: bool
    oidc_enabled: bool
    oidc_issuer: str
    oidc_allowed_domains: list[str]


class SignInSettingsIn(Strict):
    password_login_enabled: bool



# Webhook endpoints and their deliveries.

EventType = Literal[
    "interview.created", "interview.ended", "scorecard.submitted", "take_home.submitted"
]
WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]


class WebhookCreate(Strict):
    url: WebhookUrl
    events: Annotated[list[EventType], Field(min_length=1, max_length=4)]
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
