"""The ASGI application: core REST, the room hub's sockets and the web client on one port."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pycrdt import Text
from starlette.routing import WebSocketRoute

from codepair import __version__
from codepair.api.errors import install_error_handlers
from codepair.api.middleware import AccessLog, BodyLimit, SecurityHeaders
from codepair.api.notify import RoomNotices
from codepair.api.openapi import install_openapi
from codepair.api.routes import ai as ai_routes
from codepair.api.routes import assessments as take_home_routes
from codepair.api.routes import health, preview, projects
from codepair.api.routes import questions as question_routes
from codepair.api.routes import record as record_routes
from codepair.api.routes import terminal as terminal_cast_routes
from codepair.api.routes.accounts import auth, me, users
from codepair.api.routes.integrations import api_tokens as api_token_routes
from codepair.api.routes.integrations import mail as mail_routes
from codepair.api.routes.integrations import sso as sso_routes
from codepair.api.routes.integrations import webhooks as webhook_routes
from codepair.api.routes.interviews import chat, rooms, runs
from codepair.api.routes.operations import audit as audit_routes
from codepair.api.routes.reports import report as report_routes
from codepair.api.routes.reports import scorecards as scorecard_routes
from codepair.api.web_assets import WebAssets
from codepair.bus import create_bus
from codepair.config import Settings, get_settings
from codepair.db.engine import create_engine, session_factory
from codepair.db.reads import Reads
from codepair.domain.ai.assistant import Assistant
from codepair.domain.ai.model import Model
from codepair.domain.assessments.clock import TakeHomeClock
from codepair.domain.assessments.grading import FinalCode, Grader
from codepair.domain.integrations.outbox import OutboxWorker
from codepair.domain.intellisense.services import language_services
from codepair.domain.operations.retention import PurgeTask
from codepair.domain.ratelimit import RateLimiter
from codepair.hub import Hub, wire
from codepair.hub import intellisense as lsp_socket
from codepair.hub import routes as hub_routes
from codepair.hub.hub import code_language
from codepair.hub.store import UpdateLog
from codepair.logs import configure_logging
from codepair.runner import create_executor
from codepair.terminal import routes as terminal_routes
from codepair.terminal.terminals import Terminals

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

# The interview room's page: served as room.html, which preloads the room's chunks.
ROOM_PAGE = re.compile(r"rooms/[^/]+/?")


@dataclass
class Limits:
    """The REST rate limits of this process."""

    login_ip: RateLimiter
    login_account: RateLimiter
    refresh_ip: RateLimiter
    room_create: RateLimiter
    join_ip: RateLimiter

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        return cls(
            login_ip=RateLimiter(s.login_per_minute_per_ip, 60),
            login_account=RateLimiter(s.login_per_minute_per_account, 60),
            refresh_ip=RateLimiter(max(60, s.login_per_minute_per_ip * 6), 60),
            room_create=RateLimiter(s.rooms_per_minute_per_user, 60),
            join_ip=RateLimiter(s.joins_per_minute_per_ip, 60),
        )


def create_app(settings: Settings | None = None, *, only: str | None = None) -> FastAPI:
    """Build the app. ``only`` is ``"core"`` or ``"peer"`` to run one service; default both."""
    settings = settings or get_settings()
    settings.check()
    configure_logging(settings)
    serve_core = only in (None, "core")
    serve_peer = only in (None, "peer")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        engine = create_engine(settings)
        app.state.db = session_factory(engine)
        app.state.reads = Reads(settings, engine)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(engine.dispose)
            stack.push_async_callback(app.state.reads.aclose)
            bus = None
            if settings.redis_url:  # several instances: rooms and notices cross the bus
                bus = create_bus(settings)
                await bus.start()
                stack.push_async_callback(bus.close)
                app.state.bus = bus
            state: dict[str, Any] = {}
            if serve_peer:
                app.state.hub = Hub(settings, app.state.db, app.state.reads, bus=bus)
                await app.state.hub.start()
                stack.push_async_callback(app.state.hub.stop)
                # For the Yjs socket's own protocol under uvicorn (codepair/hub/wire.py).
                state[wire.STATE_KEY] = wire.HubSockets(app.state.hub, settings)
                # Language servers: stopped before the hub (docs/intellisense.md).
                app.state.intellisense = language_services(settings)
                stack.push_async_callback(app.state.intellisense.stop)
                app.state.lsp_sockets = lsp_socket.track_sockets(app.state.hub)
                # The rooms' shells; stopped before the hub, so their last bytes are written.
                app.state.terminals = Terminals(settings, app.state.hub, app.state.db)
                await app.state.terminals.start()
                stack.push_async_callback(app.state.terminals.stop)
                # The AI assistant answers in its own tasks, off the hub's paths (docs/ai.md).
                assistant = Assistant(settings, app.state.db, app.state.hub)
                app.state.hub.assistant = assistant
                stack.push_async_callback(assistant.aclose)
            app.state.notices = RoomNotices(getattr(app.state, "hub", None), bus)
            if serve_core:
                app.state.runner = create_executor(settings)
                await app.state.runner.start()
                # Closed before the hub and the database: runs record how they ended.
                stack.push_async_callback(runs.shutdown, app)
                # Ended interviews past their retention go (docs/operations.md).
                app.state.purge = _purge_task(app, settings)
                await app.state.purge.start()
                stack.push_async_callback(app.state.purge.stop)
                # Webhook deliveries and emails, sent after their request committed.
                app.state.outbox = OutboxWorker(settings, app.state.db)
                await app.state.outbox.start()
                stack.push_async_callback(app.state.outbox.stop)
                # Take-homes end at their deadline with nobody connected, and are graded.
                app.state.take_home_clock = _take_home_clock(app, settings)
                await app.state.take_home_clock.start()
                stack.push_async_callback(app.state.take_home_clock.stop)
                # The drafted summary's model (the assistant in the rooms has its own).
                app.state.ai_model = Model(settings) if settings.ai_enabled else None
                if app.state.ai_model is not None:
                    stack.push_async_callback(app.state.ai_model.aclose)
            yield state

    app = FastAPI(
        title="CodePair",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.limits = Limits.from_settings(settings)
    install_error_handlers(app)

    app.include_router(health.router)
    if serve_core:
        for router in (
            auth.router, me.router, users.router, users.directory, rooms.router, runs.router,
            chat.router,
        ):
            app.include_router(router)
        app.include_router(question_routes.router)
        app.include_router(audit_routes.router)
        app.include_router(scorecard_routes.router)
        app.include_router(record_routes.router)
        app.include_router(projects.router)
        app.include_router(preview.router)
        app.include_router(terminal_cast_routes.router)
        app.include_router(report_routes.router)
        app.include_router(webhook_routes.router)
        app.include_router(api_token_routes.router)
        app.include_router(mail_routes.router)
        app.include_router(sso_routes.router)
        app.include_router(take_home_routes.router)
        app.include_router(ai_routes.router)
    if serve_peer:
        app.include_router(hub_routes.router)
        app.router.routes.append(
            WebSocketRoute("/ws/rooms/{room_id}/lsp/{language}", lsp_socket.lsp_socket)
        )
        app.router.routes.extend(terminal_routes.ROUTES)

    @app.api_route(
        "/api/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def api_not_found(path: str) -> JSONResponse:
        return JSONResponse({"detail": "Not found"}, status_code=404)

    if serve_core:
        _mount_web(app, settings)

    install_openapi(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.public_url.startswith("https://"))
    app.add_middleware(AccessLog)
    return app


def _purge_task(app: FastAPI, settings: Settings) -> PurgeTask:
    async def deleted(room_ids: list[str]) -> None:
        for room_id in room_ids:  # sockets still open on a purged room close
            await app.state.notices.room_ended(room_id)

    return PurgeTask(settings, app.state.db, deleted)


def _take_home_clock(app: FastAPI, settings: Settings) -> TakeHomeClock:
    hub = getattr(app.state, "hub", None)

    async def read_code(room_id: str) -> FinalCode:
        if hub is not None:  # the room's sockets were closed first: this is the last word
            doc = await hub.document(room_id)
        else:  # another instance holds the room: its log, one group commit behind
            await asyncio.sleep(0.2)
            doc = await UpdateLog(app.state.db, app.state.reads).read(room_id, "code")
        return FinalCode(str(doc.get("code", type=Text)), code_language(doc))

    async def send(room_id: str, message: dict[str, Any], interviewers_only: bool) -> None:
        await app.state.notices.room_message(room_id, message, interviewers_only)

    async def ended(room_id: str) -> None:
        await app.state.notices.room_ended(room_id)

    grader = Grader(settings, app.state.db, app.state.runner, read_code, send)
    return TakeHomeClock(settings, app.state.db, grader, ended)


def _mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the built client; unknown paths get index.html so client-side routes work."""
    dist = (settings.web_dist or WEB_DIST).resolve()
    if (dist / "assets").is_dir():
        app.mount("/assets", WebAssets(dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> Response:
        if path.startswith(("api/", "ws/")):
            return JSONResponse({"detail": "Not found"}, status_code=404)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist):
            return FileResponse(candidate)
        index = dist / "index.html"
        if ROOM_PAGE.fullmatch(path) and (dist / "room.html").is_file():
            index = dist / "room.html"  # the room's chunks preloaded (web/vite.config.ts)
        if index.is_file():
            return FileResponse(index, headers={"cache-control": "no-cache"})
        return JSONResponse(
            {"detail": "The web client is not built; run `make run` (or `make web`)."},
            status_code=404,
        )
