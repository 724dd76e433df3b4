"""Code runs: the languages this server runs, and each room's runs (start, list, read).

Anyone in the room may run code (candidates too); interviewers can turn runs off for a room
with ``PATCH /api/rooms/{id}`` ``{runs_enabled: false}``, which refuses everyone with 403.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from pycrdt import Doc, Map, Text
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.api.bounds import Offset
from codepair.api.deps import CurrentPrincipal, bearer_token
from codepair.api.errors import errors
from codepair.api.principal_reads import PrincipalReads
from codepair.db.engine import transaction
from codepair.db.models.interviews import Run
from codepair.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    Unprocessable,
)
from codepair.domain.interviews import rooms
from codepair.domain.interviews.access import authenticate
from codepair.domain.interviews.run_views import RunsRead, one_run, runs_page
from codepair.domain.interviews.runs import RoomRuns, new_run, run_event
from codepair.domain.projects.tree import TreeCaps, read_tree
from codepair.domain.questions import runs as question_runs
from codepair.hub.hub import code_language
from codepair.hub.store import UpdateLog
from codepair.runner import Executor
from codepair.runner.executor import RunRequest
from codepair.security.tokens import Principal

router = APIRouter(tags=["runs"])


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Annotated[str | None, Field(max_length=32)] = None
    code: str | None = None
    stdin: str = ""
    # Run against the presented question's tests (codepair/domain/questions/runs.py).
    tests: bool = False
    # A command line run in the project's folder instead of the language's usual way to build
    # and run the entry file (default: the room's ``meta.run``; docs/projects.md).
    command: Annotated[str | None, Field(min_length=1, max_length=1000)] = None


class RunAuthor(BaseModel):
    name: str
    role: str


class RunOut(BaseModel):
    id: str
    room_id: str
    language: str
    status: str
    code: str
    stdin: str
    stdout: str
    stderr: str
    compile_output: str
    exit_code: int | None
    signal: int | None
    cpu_ms: int | None
    wall_ms: int | None
    memory_kb: int | None
    truncated: bool
    author: RunAuthor
    created_at: str | None
    finished_at: str | None
    # A tests run only: per-test results as the caller may see them, and the counts.
    tests: list[dict[str, Any]] | None = None
    passed: int | None = None
    total: int | None = None
    room_question_id: str | None = None


class RunList(BaseModel):
    items: list[RunOut]


class LanguageOut(BaseModel):
    id: str
    name: str
    version: str
    compiled: bool


class UnavailableLanguage(BaseModel):
    id: str
    name: str
    reason: str


class LanguageList(BaseModel):
    items: list[LanguageOut]
    backend: str
    sandboxed: bool
    notice: str
    #: Why this server runs no code at all (the room shows it instead of a Run button);
    #: null when it runs code.
    runs_off: str | None = None
    #: Languages it knows but cannot run on this machine, and why.
    unavailable: list[UnavailableLanguage] = []


def _executor(app: FastAPI) -> Executor:
    executor: Executor | None = getattr(app.state, "runner", None)
    if executor is None:
        raise Unavailable("The code runner is not available on this server")
    return executor


def room_runs(app: FastAPI) -> RoomRuns:
    """This process's :class:`RoomRuns`, made on first use around ``app.state.runner``."""
    service: RoomRuns | None = getattr(app.state, "room_runs", None)
    if service is None or service.executor is not getattr(app.state, "runner", None):
        service = RoomRuns(
            _executor(app),
            app.state.db,
            app.state.settings,
            broadcast=lambda room_id, event: app.state.notices.broadcast(room_id, event),
        )
        app.state.room_runs = service
    return service


async def shutdown(app: FastAPI) -> None:
    """Kill the running sandboxes and record how their runs ended (server stop)."""
    service: RoomRuns | None = getattr(app.state, "room_runs", None)
    if service is not None:
        await service.close()
    executor: Executor | None = getattr(app.state, "runner", None)
    if executor is not None:
        await executor.close()


@router.get("/api/languages")
async def list_languages(request: Request, principal: CurrentPrincipal) -> LanguageList:
    executor = _executor(request.app)
    return LanguageList(
        items=[LanguageOut(**lang.to_dict()) for lang in executor.available_languages()],
        backend=executor.backend,
        sandboxed=bool(getattr(getattr(executor, "sandbox", None), "sandboxed", True)),
        notice=str(getattr(executor, "notice", "")),
        runs_off=getattr(executor, "runs_off", None),
        unavailable=[
            UnavailableLanguage(id=i, name=n, reason=r)
            for i, n, r in getattr(executor, "unavailable_languages", list)()
        ],
    )


@router.post(
    "/api/rooms/{room_id}/runs", status_code=201,
    responses=errors(401, 403, 409, 429, 503),
)
async def create_run(room_id: str, body: RunIn, request: Request) -> RunOut:
    """Run code in the room; answers with the finished run, or a queued/running one to poll."""
    app = request.app
    settings = app.state.settings
    service = room_runs(app)
    hub = getattr(app.state, "hub", None)
    # Our own short transaction (not the request-scoped session): it must be committed and
    # its connection returned before we wait for the program.
    async with transaction(app.state.db) as db:
        principal = await authenticate(db, settings, bearer_token(request))
        room, _ = await rooms.room_for(db, principal, room_id, interviewer=False)
    if room.ended_at is not None:
        raise Conflict("This interview has ended")
    if not room.runs_enabled:
        raise Forbidden("Running code is turned off in this room")
    tested = await question_runs.tests_question(app.state.db, room_id) if body.tests else None
    if hub is not None:
        code_doc = await hub.document(room_id)
    else:
        code_doc = await UpdateLog(app.state.db, app.state.reads).read(room_id, "code")
    language = body.language or code_language(code_doc) or room.language
    if not service.executor.supports(language):
        notice = str(getattr(service.executor, "notice", ""))
        raise Unprocessable(notice or f"Language {language!r} is not available on this server")
    # Without a hub here (a core-only process) the log is at most a group commit behind.
    project: RunRequest | None = None
    if tested is not None and tested.test_command:
        tree = read_tree(code_doc, language)
        if body.code is not None:
            tree.files[tree.entry] = body.code
        project = question_runs.project_tests_request(tested, language, tree.entry, tree.files)
    elif tested is None:
        project = project_request(code_doc, body, language)
    code = body.code if body.code is not None else str(code_doc.get("code", type=Text))
    for name, text in (("code", code), ("stdin", body.stdin)):
        if len(text.encode()) > settings.max_code_bytes:
            raise PayloadTooLarge(f"`{name}` is over {settings.max_code_bytes} bytes")
    ticket = service.admit(principal.identity, room_id)
    run = new_run(
        room_id=room_id,
        author_user_id=principal.user_id,
        author_name=principal.name,
        author_role=principal.role,
        language=language,
        code=code,
        stdin=body.stdin,
    )
    execute = (
        question_runs.tests_execution(app, run, tested, ticket, project) if tested else None
    )
    task = await service.start(run, ticket, execute, project=project)
    # The run goes on if the client leaves (shield); past the wait it is polled instead.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), timeout=settings.runner_wait_seconds)
    stored = await service.get(room_id, run.id)
    assert stored is not None
    return (await runs_out(app.state.db, [stored], candidate=principal.is_candidate))[0]


def project_request(code_doc: Doc[Any], body: RunIn, language: str) -> RunRequest | None:
    """The request of a run of the room's whole tree, or None for a plain one-file run (the
    tree holds the entry file alone and no command line is given).

    ``code`` in the body runs that text as the entry file, beside the tree's other files."""
    tree = read_tree(code_doc, language)
    meta_run = code_doc.get("meta", type=Map).get("run")
    command = body.command or (meta_run if isinstance(meta_run, str) and meta_run else None)
    others = {path: text for path, text in tree.files.items() if path != tree.entry}
    if not others and command is None:
        return None
    if tree.size > TreeCaps().max_tree_bytes:
        raise PayloadTooLarge(f"The project is over {TreeCaps().max_tree_bytes} bytes")
    entry_text = body.code if body.code is not None else tree.files[tree.entry]
    return RunRequest(
        language=language, code=entry_text, stdin=body.stdin, entry=tree.entry,
        files=others, command=command[:1000] if command is not None else None,
    )


@router.get("/api/rooms/{room_id}/runs")
async def list_runs(
    room_id: str,
    request: Request,
    reads: PrincipalReads,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> RunList:
    """The room's runs, newest first: the principal check and one prebuilt query in one
    read (ADR 8)."""

    def read(conn: Connection, principal: Principal) -> tuple[Principal, RunsRead | None]:
        return principal, runs_page(conn, principal, room_id, limit=limit, offset=offset)

    principal, found = await reads.run(read)
    if found is None:
        raise NotFound(rooms.ROOM_NOT_FOUND)
    service = room_runs(request.app)  # after the room check: 404 before 503, as ever
    if not found.stale(service.stale_after()):
        return RunList.model_validate({"items": found.items})
    # A dead server left a run pending (rare): record it as interrupted, through the ORM.
    runs = await service.for_room(room_id, limit=limit, offset=offset)
    return RunList(
        items=await runs_out(request.app.state.db, runs, candidate=principal.is_candidate)
    )


@router.get("/api/rooms/{room_id}/runs/{run_id}")
async def read_run(room_id: str, run_id: str, request: Request, reads: PrincipalReads) -> RunOut:
    def read(conn: Connection, principal: Principal) -> tuple[Principal, RunsRead | None]:
        return principal, one_run(conn, principal, room_id, run_id)

    principal, found = await reads.run(read)
    if found is None:
        raise NotFound(rooms.ROOM_NOT_FOUND)
    service = room_runs(request.app)
    if not found.stale(service.stale_after()):
        if not found.items:
            raise NotFound("Run not found")
        return RunOut.model_validate(found.items[0])
    run = await service.get(room_id, run_id)
    if run is None:
        raise NotFound("Run not found")
    return (await runs_out(request.app.state.db, [run], candidate=principal.is_candidate))[0]


async def runs_out(
    factory: async_sessionmaker[AsyncSession], runs: list[Run], *, candidate: bool
) -> list[RunOut]:
    """Runs as the caller may see them: a tests run with its results (a candidate's view
    of hidden tests is their name and outcome only)."""
    async with factory() as db:
        tested = await question_runs.tests_of_runs(db, [run.id for run in runs])
    out = []
    for run in runs:
        view = run_event(run)
        if run.id in tested:
            view.update(question_runs.summary(tested[run.id], candidate=candidate))
        out.append(RunOut.model_validate(view))
    return out
