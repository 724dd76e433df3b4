"""A room's project tree to take away: ``GET /api/rooms/{id}/files.zip``.

The room's interviewers and leads, and its candidate while the room is open (a candidate's
token stops working when the room ends). The tree is read from the update log, as the
history is: at most one group commit behind the live room.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from codepair.api.deps import CurrentPrincipal, DbSession
from codepair.domain.interviews import rooms
from codepair.domain.projects.archive import to_zip
from codepair.domain.projects.tree import read_tree
from codepair.domain.record import history

router = APIRouter(tags=["projects"])


@router.get(
    "/api/rooms/{room_id}/files.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The tree as a zip"}},
)
async def files_zip(room_id: str, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Every file of the room's project under one folder named after the room."""
    room, _role = await rooms.room_for(db, principal, room_id, interviewer=False)
    _seq, ydoc = await history.doc_at(db, room_id, "code", None)
    folder = f"codepair-{room_id}"
    return Response(
        to_zip(read_tree(ydoc, room.language), folder),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{folder}.zip"'},
    )
