"""The front-end preview of a room's project (docs/preview.md).

``POST /api/rooms/{id}/preview`` (the room's interviewers, and its candidate while the room is
open) builds the tree as the hub holds it, or takes the build of the same tree from the cache,
and answers a short-lived link. ``GET /api/rooms/{id}/preview/{token}/{path}`` serves the
build's files to the iframe, which sends no ``Authorization``: the signed token in the path is
the credential, and the access log blanks it. Every page is served with the preview's CSP
(``sandbox allow-scripts``, ``connect-src 'none'``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel

from codepair.api.deps import bearer_token
from codepair.api.errors import errors
from codepair.db.engine import transaction
from codepair.domain.errors import Conflict, Forbidden, NotFound, Unavailable, Unprocessable
from codepair.domain.interviews import rooms
from codepair.domain.interviews.access import authenticate
from codepair.domain.interviews.runs import RunnerBusy
from codepair.domain.projects import preview
from codepair.domain.projects.tree import TreeCaps, read_tree
from codepair.domain.ratelimit import RateLimiter
from codepair.hub.store import UpdateLog
from codepair.runner import Executor
from codepair.runner.executor import Busy, RunRequest, RunResult

router = APIRouter(tags=["preview"])

#: Builds a person may ask for in a minute (an edit rebuilds, debounced by the client), and
#: files a room's previews may serve in a minute (a page and its scripts, styles, images).
BUILDS_PER_MINUTE_PER_PERSON = 60
BUILDS_PER_MINUTE_PER_ROOM = 120
FILES_PER_MINUTE_PER_ROOM = 1200


class PreviewOut(BaseModel):
    #: ``ok``: ``url`` shows this tree; ``build_error``: ``error`` says why (esbuild's words).
    status: Literal["ok", "build_error"]
    url: str | None = None
    error: str | None = None
    hash: str
    expires_at: str | None = None
    built_ms: int
    cached: bool


class _State:
    """This process's previews: the build cache, the link signer and the rate limits."""

    def __init__(self, app: FastAPI) -> None:
        self.previews = preview.Previews()
        self.tokens = preview.PreviewTokens(app.state.settings.signing_key())
        self.per_person = RateLimiter(BUILDS_PER_MINUTE_PER_PERSON, 60)
        self.per_room = RateLimiter(BUILDS_PER_MINUTE_PER_ROOM, 60)
        self.files = RateLimiter(FILES_PER_MINUTE_PER_ROOM, 60)


def _state(app: FastAPI) -> _State:
    state: _State | None = getattr(app.state, "previews", None)
    if state is None:
        state = app.state.previews = _State(app)
    return state


def _executor(app: FastAPI) -> Executor:
    executor: Executor | None = getattr(app.state, "runner", None)
    if executor is None:
        raise Unavailable("The code runner is not available on this server")
    return executor


async def _code_doc(app: FastAPI, room_id: str) -> Any:
    hub = getattr(app.state, "hub", None)
    if hub is not None:
        return await hub.document(room_id)
    # A core-only process: the log is at most one group commit behind the live room.
    return await UpdateLog(app.state.db, app.state.reads).read(room_id, "code")


@router.post("/api/rooms/{room_id}/preview", responses=errors(401, 403, 404, 409, 422, 429, 503))
async def build_preview(room_id: str, request: Request) -> PreviewOut:
    """Build the room's project as a page (or take the same tree's build from the cache)."""
    app = request.app
    state = _state(app)
    async with transaction(app.state.db) as db:
        principal = await authenticate(db, app.state.settings, bearer_token(request))
        room, _role = await rooms.room_for(db, principal, room_id, interviewer=False)
    if principal.is_candidate and room.ended_at is not None:
        raise Conflict("This interview has ended")
    if not room.runs_enabled:
        raise Forbidden("Running code is turned off in this room")
    state.per_person.hit(principal.identity)
    state.per_room.hit(room_id)
    tree = read_tree(await _code_doc(app, room_id), room.language)
    if tree.size > TreeCaps().max_tree_bytes:
        raise Unprocessable(f"The project is over {TreeCaps().max_tree_bytes} bytes")
    executor = _executor(app)

    async def run(job: RunRequest) -> RunResult:
        if not executor.supports(job.language):
            raise Unprocessable("Bundling TypeScript is not available on this server (esbuild)")
        try:
            return await executor.run(job)
        except Busy as exc:
            raise RunnerBusy(str(exc), retry_after=exc.retry_after) from exc

    build, cached = await state.previews.build(room_id, tree, run)
    if build.error is not None:
        return PreviewOut(status="build_error", error=build.error, hash=build.hash,
                          built_ms=build.built_ms, cached=cached)
    token = state.tokens.issue(room_id, build.hash, candidate=principal.is_candidate)
    expires = state.tokens.read(room_id, token).expires
    return PreviewOut(
        status="ok",
        url=f"/api/rooms/{room_id}/preview/{token}/{preview.INDEX}",
        hash=build.hash,
        expires_at=datetime.fromtimestamp(expires, UTC).isoformat(),
        built_ms=build.built_ms,
        cached=cached,
    )


@router.get(
    "/api/rooms/{room_id}/preview/{token}/{path:path}",
    response_class=Response,
    include_in_schema=False,
)
async def preview_file(room_id: str, token: str, path: str, request: Request) -> Response:
    """One file of a build, for the preview's iframe (or a tab it was opened in)."""
    app = request.app
    state = _state(app)
    claims = state.tokens.read(room_id, token)
    state.files.hit(room_id)
    async with transaction(app.state.db) as db:
        try:
            room = await rooms.load_room(db, room_id)
        except NotFound:
            raise NotFound("This preview link is not valid") from None
    if claims.candidate and room.ended_at is not None:
        raise NotFound("This interview has ended")
    build = state.previews.cached(room_id, claims.hash)
    if build is None:
        # Another instance made this link, or the build left the cache: build it again if
        # the room's tree is still the one the link names.
        tree = read_tree(await _code_doc(app, room_id), room.language)
        if preview.INDEX not in tree.files or preview.tree_hash(tree) != claims.hash:
            raise NotFound("This preview is out of date; open the preview again")
        executor = _executor(app)
        build, _ = await state.previews.build(room_id, tree, lambda job: executor.run(job))
    data = build.files.get(path or preview.INDEX)
    if data is None:
        raise NotFound("No such file in the preview")
    return Response(
        data,
        media_type=preview.content_type(path),
        headers={
            "Content-Security-Policy": preview.CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, max-age=300",
        },
    )
