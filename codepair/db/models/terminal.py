"""The terminal's record: every byte in and out of a room's shell, with its time.

One row per chunk (output coalesced over a short window, each keystroke frame as it came).
``kind`` is asciicast v2's event code: ``o`` output, ``i`` input, ``r`` a resize (``COLSxROWS``),
``m`` a marker (shell started, restarted, exited). The asciicast file is built from these rows
when asked for (codepair/domain/terminal/cast.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class TerminalChunk(Base):
    """Bytes of a room's terminal, in order of ``id``."""

    __tablename__ = "terminal_chunks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(1))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_terminal_chunks_room_id", "room_id", "id"),)
