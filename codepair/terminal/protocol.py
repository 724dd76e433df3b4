"""The terminal socket's messages (DESIGN.md, "Terminal"; mirrored in web/src/terminal/).

Binary frames: client -> server are keystrokes, server -> client are output bytes. Text frames
are JSON. Client -> server: ``resize`` ``{cols, rows}``; interviewers only, ``restart`` and
``readonly`` ``{on}``. Server -> client: ``status`` (``state``: ``starting`` | ``running`` |
``exited``, ``exit_code`` when it exited, ``readonly``, ``cols``, ``rows``, ``reason`` in words
when the server stopped it) and ``error`` ``{code, message}`` for a refused message (the
socket stays open).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_COLS = 500
MAX_ROWS = 200


@dataclass(frozen=True, slots=True)
class Resize:
    cols: int
    rows: int


@dataclass(frozen=True, slots=True)
class Restart:
    pass


@dataclass(frozen=True, slots=True)
class ReadOnly:
    on: bool


Message = Resize | Restart | ReadOnly


class BadMessage(ValueError):
    """A text frame that is not one of the messages above; the text says why."""


def parse(text: str) -> Message:
    """One client text frame as a message, or :class:`BadMessage`."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise BadMessage("not JSON") from None
    if not isinstance(data, dict):
        raise BadMessage("a message is a JSON object")
    kind = data.get("type")
    if kind == "resize":
        cols, rows = data.get("cols"), data.get("rows")
        if (
            not isinstance(cols, int)
            or not isinstance(rows, int)
            or isinstance(cols, bool)
            or isinstance(rows, bool)
            or not 1 <= cols <= MAX_COLS
            or not 1 <= rows <= MAX_ROWS
        ):
            raise BadMessage(f"cols must be 1 to {MAX_COLS} and rows 1 to {MAX_ROWS}")
        return Resize(cols, rows)
    if kind == "restart":
        return Restart()
    if kind == "readonly":
        on = data.get("on")
        if not isinstance(on, bool):
            raise BadMessage("on must be true or false")
        return ReadOnly(on)
    raise BadMessage("unknown message type")


def status(
    state: str,
    *,
    readonly: bool,
    cols: int,
    rows: int,
    exit_code: int | None = None,
    reason: str | None = None,
) -> str:
    message: dict[str, Any] = {
        "type": "status",
        "state": state,
        "readonly": readonly,
        "cols": cols,
        "rows": rows,
    }
    if exit_code is not None:
        message["exit_code"] = exit_code
    if reason is not None:
        message["reason"] = reason
    return json.dumps(message)


def error(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})
