"""The terminal's record: ``GET /api/rooms/{id}/terminal.cast`` (asciicast v2).

Interviewers of the room and leads only (a candidate's token 403, anyone else's 404, no token
401), as the rest of the record. What the shell wrote in the last group-commit window is
written first, so the file holds everything up to the request.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, Response

from codepair.api.deps import CurrentPrincipal, DbSession
from codepair.domain.interviews import rooms
from codepair.domain.terminal.cast import cast_lines, room_chunks

router = APIRouter(tags=["terminal"])

CAST_TYPE = "application/x-asciicast"


@router.get(
    "/api/rooms/{room_id}/terminal.cast",
    response_class=Response,
    responses={200: {"content": {CAST_TYPE: {}}, "description": "asciicast v2"}},
)
async def terminal_cast(
    room_id: str, request: Request, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The room's whole terminal session: a header line, then ``[seconds, code, text]`` lines
    (``o`` output, ``i`` input, ``r`` resize, ``m`` marker)."""
    await rooms.room_for(db, principal, room_id, interviewer=True)
    terminals = getattr(request.app.state, "terminals", None)
    if terminals is not None:
        with contextlib.suppress(Exception):  # the database is slow: what is written is served
            await terminals.record.flush()
    chunks = await room_chunks(db, room_id)
    return Response(
        "".join(cast_lines(chunks)),
        media_type=CAST_TYPE,
        headers={"Content-Disposition": f'attachment; filename="codepair-{room_id}.cast"'},
    )
