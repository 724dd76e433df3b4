"""The AI assistant: whether a model is configured, the conversation, a drafted summary."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class AiStatusOut(BaseModel):
    """Whether the server has a model (rooms still turn the assistant on one by one)."""

    enabled: bool
    model: str | None


class AiAuthor(BaseModel):
    name: str
    role: str


class AiMessageOut(BaseModel):
    """A question or an answer, as the events socket's ``ai.message`` carries it."""

    id: str
    role: Literal["user", "assistant"]
    author: AiAuthor
    text: str
    at: datetime
    private: bool
    status: str
    reply_to: str | None
    include_code: bool
    tokens: int


class AiMessageList(BaseModel):
    items: list[AiMessageOut]


class AiSummaryOut(BaseModel):
    """A draft for the scorecard's summary; nothing is saved or submitted."""

    summary: str
