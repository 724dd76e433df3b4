"""The range of the integer columns the API reads ids into.

Users, chat messages, invites and audit actors have ``INTEGER`` ids: 64-bit on SQLite but
32-bit on PostgreSQL, so a larger number names no row on either and must never reach a query
(SQLite raises ``OverflowError`` past 64 bits, asyncpg a ``DataError`` past 32).
"""

from __future__ import annotations

ID_MAX = 2**31 - 1


def as_id(text: str) -> int | None:
    """``text`` as a row id when it is one (ASCII digits within the range), else ``None``."""
    if text.isascii() and text.isdigit() and 1 <= int(text) <= ID_MAX:
        return int(text)
    return None
