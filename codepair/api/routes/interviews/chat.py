"""A room's chat history, for its interviewers and its candidate.

Chat messages travel on the events socket (the hub); what was said before is a read of the
database, served by core like every other REST read, so that a deployment that splits core
and the peers behind a proxy (``/ws/`` to the peers, the rest to core) answers it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from codepair.api.bounds import IdQuery
from codepair.api.principal_reads import PrincipalReads
from codepair.domain.errors import NotFound
from codepair.domain.interviews import room_views
from codepair.hub.protocol import ChatEntry

router = APIRouter(tags=["rooms"])


class ChatHistoryOut(BaseModel):
    items: list[ChatEntry]


@router.get("/api/rooms/{room_id}/messages", response_model=ChatHistoryOut)
async def list_messages(
    room_id: str,
    reads: PrincipalReads,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    before_id: IdQuery = None,
) -> ChatHistoryOut:
    """The room's chat, oldest first: the latest ``limit`` messages before ``before_id``.
    The principal check, the room check and the page in one read (ADR 8)."""
    items = await reads.run(
        lambda conn, principal: room_views.chat_page(
            conn, principal, room_id, limit=limit, before_id=before_id
        )
    )
    if items is None:
        raise NotFound("Room not found")
    return ChatHistoryOut.model_validate({"items": items})
