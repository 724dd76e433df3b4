"""A room's ``autocomplete`` setting, read on a language socket's handshake."""

from __future__ import annotations

from sqlalchemy import Connection, select

from codepair.db.models.interviews import Room


def autocomplete_of(conn: Connection, room_id: str) -> str | None:
    """``"on"`` or ``"off"``; None for an unknown room (run through ``Reads``)."""
    value = conn.execute(select(Room.autocomplete).where(Room.id == room_id)).scalar()
    return value if isinstance(value, str) else None
