"""The AI assistant's conversation: every question put to the model and every answer.

One row a message. The timeline holds an ``ai`` event for each as well (the record's one
clock); this table is what the assistant reads back: the conversation it sends with the next
question, and the counts its caps are kept against.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from codepair.db.models.base import Base, UTCDateTime, utcnow


class AiMessage(Base):
    """A question (``role`` ``user``) or an answer (``assistant``) in a room's conversation."""

    __tablename__ = "ai_messages"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    # An interviewer's own question and its answer: never shown or sent to the candidate.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whose conversation it is (the asker's identity, the answer carries its question's).
    asker: Mapped[str] = mapped_column(String(120))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_role: Mapped[str] = mapped_column(String(20))
    reply_to: Mapped[str | None] = mapped_column(String(24), default=None)
    text: Mapped[str] = mapped_column(Text)
    include_code: Mapped[bool] = mapped_column(Boolean, default=False)
    # ok; error (the model failed: text is what the asker was told); cut (the time limit).
    status: Mapped[str] = mapped_column(String(16), default="ok")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ai_messages_room_id_at", "room_id", "at"),)
