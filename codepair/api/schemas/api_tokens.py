"""Personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from codepair.api.schemas import Name, Strict

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
