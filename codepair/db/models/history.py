"""Keyframes of the Yjs update log: the document's full state at a seq, for fast history reads.

The log itself (``yjs_updates``) keeps every update; a keyframe is derived from it and can be
rebuilt from it, so nothing here is history of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime


class YKeyframe(Base):
    """Every update of ``(room_id, doc)`` up to ``seq`` merged; ``at`` is that row's time.
    ``state`` is the document's encoded state, zlib-compressed."""

    __tablename__ = "yjs_keyframes"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    doc: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[bytes] = mapped_column(LargeBinary)
