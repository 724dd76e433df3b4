"""Helpers for the AI tests: ask and collect an answer on the events socket."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tests.support.events import EventsClient


@dataclass
class Exchange:
    """What one socket saw of one question: its ``ai.message``, the deltas, the answer."""

    question: dict[str, Any]
    deltas: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


async def collect(ev: EventsClient, timeout: float = 90.0) -> Exchange:
    """Read one question and its streamed answer off ``ev``."""
    async with asyncio.timeout(timeout):
        question = await ev.next("ai.message", timeout=timeout)
        assert question["message"]["role"] == "user", question
        ex = Exchange(question["message"])
        while True:
            msg = await ev.inbox.get()
            if msg["type"] == "ai.delta":
                ex.deltas.append(msg)
            elif msg["type"] == "error":
                ex.errors.append(msg)
            elif msg["type"] == "ai.message":
                assert msg["message"]["role"] == "assistant", msg
                ex.answer = msg["message"]
                return ex


async def error_of(ev: EventsClient, timeout: float = 10.0) -> dict[str, Any]:
    return await ev.next("error", timeout=timeout)


def ai_kinds(ev: EventsClient) -> list[str]:
    """The ``ai.*`` messages waiting in ``ev``'s inbox (drained)."""
    kinds = []
    while not ev.inbox.empty():
        msg = ev.inbox.get_nowait()
        if str(msg["type"]).startswith("ai."):
            kinds.append(msg["type"])
    return kinds
