"""A room's project tree in and out as a zip: ``GET`` and ``POST /api/rooms/{id}/files.zip``.

The room's interviewers and leads, and its candidate while the room is open (a candidate's
token stops working when the room ends). ``GET`` reads the tree from the update log, as the
history does: at most one group commit behind the live room. ``POST`` reads the archive
(domain/projects/archive.py) and merges it into the tree as one server-made update.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pycrdt import Doc

from codepair.api.deps import CurrentPrincipal, DbSession, SettingsDep
from codepair.api.errors import errors
from codepair.api.schemas.projects import ImportOut
from codepair.domain.errors import Conflict, RateLimited, Unavailable, Unprocessable
from codepair.domain.interviews import rooms
from codepair.domain.projects.archive import from_zip, to_zip
from codepair.domain.projects.imports import merge_files, under
from codepair.domain.projects.tree import TreeCaps, TreeError, read_tree
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.record import history, timeline
from codepair.hub.hub import code_language

router = APIRouter(tags=["projects"])

#: Imports per person per minute: each rewrites the room's tree for everyone.
IMPORTS_PER_MINUTE = 10
_IMPORTS = RateLimiter(IMPORTS_PER_MINUTE, 60)
_ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


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


@router.post(
    "/api/rooms/{room_id}/files.zip",
    responses=errors(400, 409, 413, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_zip(
    room_id: str,
    principal: CurrentPrincipal,
    db: DbSession,
    request: Request,
    settings: SettingsDep,
    folder: Annotated[str, Query(max_length=255, description="Put the files below it")] = "",
) -> ImportOut:
    """Merge a zip's text files into the room's tree as one update everyone gets.

    Refused whole, with the tree unchanged (422 naming the entry and the rule): not a zip,
    a zip bomb, a link, an entry with ``..`` or an absolute path, a binary file, a tree over
    the caps. The body is capped like every request's (``CODEPAIR_MAX_BODY_BYTES``).
    """
    room, _role = await rooms.room_for(db, principal, room_id, interviewer=False)
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _ZIP_TYPES:
        raise Unprocessable("Send the zip as the body, with Content-Type application/zip")
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        raise Unavailable("Imports need a server that runs the room hub")
    wait = _IMPORTS.retry_after(principal.identity)
    if wait > 0:
        raise RateLimited("Too many imports; try again later", wait)
    _IMPORTS.hit(principal.identity)
    caps = TreeCaps(max_files=settings.project_max_files,
                    max_file_bytes=settings.project_max_file_bytes)
    body = await request.body()
    try:
        files = under(folder.strip("/"), from_zip(body, caps))
    except TreeError as exc:
        raise Unprocessable(f"The zip was not imported: {exc}") from exc
    written: list[str] = []

    def merge(doc: Doc[Any]) -> None:
        written.extend(merge_files(doc, files, caps, code_language(doc) or room.language))

    try:
        await hub.change(room_id, "code", merge, author=principal.identity)
    except TreeError as exc:
        raise Unprocessable(f"The zip was not imported: {exc}") from exc
    await timeline.add_event(
        db, room_id, "files_imported", **timeline.actor(principal),
        data={"files": len(files), "paths": written[:20]},
    )
    return ImportOut(written=written, files=len(files))
