"""One language server for one room and language, shared by every socket of the room.

The session is the language server's only client. It starts the server sandboxed, feeds it
the room's files as the ``code`` document holds them (``didOpen`` once, then ``didChange``
with the whole text whenever the tree changed, once for the room however many people type),
relays each browser's requests under ids of its own and routes each answer back to the one
socket that asked, sends ``publishDiagnostics`` to every socket of the room, answers the
server's own requests (configuration, registrations) itself, and drops everything else the
server says. A server that dies is started again and the room is told; one that dies too
often is given up on, and the room is told that too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog

from codepair.domain.intellisense import messages as m
from codepair.domain.intellisense.mirror import WorkspaceMirror
from codepair.domain.projects.tree import Tree
from codepair.runner.cgroups import MemoryGroups
from codepair.runner.langservers import LanguageServerProcess, ServerLimits, ServerSpec

log = structlog.get_logger("codepair.lsp")

STATUS = "$/codepair/status"


class LspClient(Protocol):
    """A socket of the room as the session sees it."""

    def send(self, message: bytes | str) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    @property
    def is_candidate(self) -> bool: ...


class TreeSource(Protocol):
    """The room's project tree, live (the hub's ``code`` document)."""

    def read(self) -> Tree | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """How sessions run (``CODEPAIR_LSP_*``)."""

    bwrap: str | None
    workspace_root: Path
    limits: ServerLimits = field(default_factory=ServerLimits)
    memory: MemoryGroups | None = None  # where each server's processes are capped together
    idle_seconds: float = 120.0
    start_timeout: float = 60.0
    request_timeout: float = 60.0  # a cold TypeScript project on a busy machine: tens of s
    sync_delay: float = 0.03
    messages_per_second: float = 30.0
    message_burst: int = 100
    max_pending: int = 32
    max_restarts: int = 5  # within restart_window seconds; then the session gives up
    restart_window: float = 300.0


@dataclass(slots=True)
class _Client:
    """What the session keeps per socket: its rate bucket and its requests in flight."""

    assists: bool  # completion and signature help allowed (autocomplete on, or not a candidate)
    tokens: float
    stamp: float
    pending: int = 0


@dataclass(slots=True)
class _Pending:
    client: LspClient
    client_id: int | str
    method: str
    started: float
    timer: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class SessionStats:
    """What the bench and the tests read."""

    starts: int = 0
    crashes: int = 0
    syncs: int = 0
    raw_answers: int = 0  # large answers passed on unparsed (runner/langservers.py)
    latencies: dict[str, deque[float]] = field(default_factory=dict)


class LanguageSession:
    """The language server ``spec`` of room ``room_id`` (see the module's docstring)."""

    def __init__(
        self,
        room_id: str,
        spec: ServerSpec,
        toolchains: Path | None,
        source: TreeSource,
        config: SessionConfig,
        *,
        on_idle: Callable[[LanguageSession], None],
    ) -> None:
        self.room_id = room_id
        self.spec = spec
        self.toolchains = toolchains
        self.source = source
        self.config = config
        self.on_idle = on_idle
        self.clients: dict[LspClient, _Client] = {}
        self.state = "starting"
        self.capabilities: dict[str, Any] = {}
        self.process: LanguageServerProcess | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stats = SessionStats()
        self.diagnostics: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._own: dict[int, asyncio.Future[Any]] = {}
        self.files = WorkspaceMirror(config.workspace_root, spec.name, spec.language_id, room_id)
        self._sync_timer: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._crash_times: deque[float] = deque()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"lsp-{self.spec.name}")

    async def _run(self) -> None:
        """Start the server, and start it again each time it dies, until closed."""
        while not self._closing:
            try:
                await self._start_once()
            except Exception as exc:
                log.warning("lsp_start_failed", room=self.room_id, server=self.spec.name,
                            error=f"{type(exc).__name__}: {exc}"[:300])
                if self.process is not None:
                    self.process.kill()
            process = self.process
            if process is not None and not self._closing:
                code = await asyncio.shield(process.exited)
                await process.stop(grace=0)
            else:
                code = None
            if self._closing:
                return
            self.stats.crashes += 1
            self._fail_pending("the language server stopped; it is starting again")
            now = time.monotonic()
            self._crash_times.append(now)
            while self._crash_times and now - self._crash_times[0] > self.config.restart_window:
                self._crash_times.popleft()
            log.warning("lsp_server_exited", room=self.room_id, server=self.spec.name, code=code)
            if len(self._crash_times) > self.config.max_restarts:
                self._set_state("failed", f"The {self.spec.title} language server keeps "
                                "stopping; language help is off in this room for now.")
                return
            self._set_state("restarting", f"The {self.spec.title} language server stopped; "
                            "starting it again.")
            await asyncio.sleep(min(5.0, 0.2 * len(self._crash_times)))

    async def _start_once(self) -> None:
        self.ready = asyncio.get_running_loop().create_future()
        self.stats.starts += 1
        memory = None if self.config.memory is None else self.config.memory.create(
            f"lsp-{self.room_id}-{self.spec.name}", self.config.limits.tree_memory_mb << 20)
        process = LanguageServerProcess(
            self.spec,
            workspace=self.files.folder,
            toolchains=self.toolchains,
            bwrap=self.config.bwrap,
            limits=self.config.limits,
            on_message=self._from_server,
            label=self.room_id,
            memory=memory,
            on_raw_answer=self._raw_answer,
        )
        self.process = process
        self.files.lay_out(self.source.read())
        await process.start()
        result = await asyncio.wait_for(self._request_own("initialize", {
            "processId": None,
            "clientInfo": {"name": "codepair"},
            "rootUri": m.WORKSPACE_URI,
            "rootPath": "/workspace",
            "workspaceFolders": [{"uri": m.WORKSPACE_URI, "name": "workspace"}],
            "capabilities": m.CLIENT_CAPABILITIES,
            "initializationOptions": self.spec.initialization_options,
        }), self.config.start_timeout)
        self.capabilities = dict(result.get("capabilities") or {}) if isinstance(
            result, dict) else {}
        process.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        if self.spec.settings:
            process.send({"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
                          "params": {"settings": self.spec.settings}})
        self._sync()
        self._set_state("running", "")
        if not self.ready.done():
            self.ready.set_result(None)

    async def close(self) -> None:
        """Stop the server and forget the room's files (idle, or the server stopping)."""
        self._closing = True
        for timer in (self._sync_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._fail_pending("the language server stopped")
        if self.process is not None:
            await self.process.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self.source.close()
        self.files.remove()
        if self.process is not None and self.process.memory is not None:
            self.process.memory.remove()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed"))
            self.ready.exception()

    def kill_server(self) -> None:
        """SIGKILL the language server (what a crash looks like; for tests and operators)."""
        if self.process is not None:
            self.process.kill()

    # --- sockets --------------------------------------------------------------------------

    def join(self, client: LspClient, *, assists: bool) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self.clients[client] = _Client(assists, float(self.config.message_burst),
                                       time.monotonic())

    def leave(self, client: LspClient) -> None:
        self.clients.pop(client, None)
        for key in [k for k, p in self._pending.items() if p.client is client]:
            pending = self._pending.pop(key)
            if pending.timer is not None:
                pending.timer.cancel()
        if not self.clients and not self._closing and self._idle_timer is None:
            self._idle_timer = asyncio.get_running_loop().call_later(
                self.config.idle_seconds, self._idle)

    def _idle(self) -> None:
        self._idle_timer = None
        if not self.clients:
            self.on_idle(self)

    async def receive(self, client: LspClient, text: str) -> None:
        """One text frame from ``client``."""
        state = self.clients.get(client)
        if state is None:
            return
        incoming = m.parse(text)
        if incoming.kind == "invalid":
            assert incoming.error is not None
            client.send(m.error(incoming.id, *incoming.error))
            return
        if incoming.kind == "ignored":
            return
        method, msg_id = incoming.method, incoming.id
        if not self._take(state):
            client.send(m.error(msg_id, m.REQUEST_FAILED, "too many requests; slow down"))
            return
        if method == "initialize":
            await self._initialize(client, state, msg_id)
            return
        if method == "shutdown":
            client.send(m.reply(msg_id, None))
            return
        if method not in m.RELAYED:
            client.send(m.error(msg_id, m.METHOD_NOT_FOUND, f"{method} is not served here"))
            return
        if method in m.ASSISTS and not state.assists:
            client.send(m.error(msg_id, m.REQUEST_FAILED, "autocomplete is off in this room"))
            return
        if self.state in ("starting", "restarting"):
            # A cold room: the first keystrokes' requests wait for the server, not fail.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self.ready), self.config.start_timeout)
            if client not in self.clients:
                return
        self._flush_sync()  # the answer must see the latest keystrokes (and new files)
        if method not in m.WITHOUT_DOCUMENT and not self.files.serves(m.document_path(incoming)):
            client.send(m.error(msg_id, m.INVALID_PARAMS, "not a file of this project"))
            return
        if self.state != "running" or self.process is None:
            client.send(m.error(msg_id, m.REQUEST_FAILED, f"the language server is {self.state}"))
            return
        if state.pending >= self.config.max_pending:
            client.send(m.error(msg_id, m.REQUEST_FAILED, "too many requests in flight"))
            return
        assert msg_id is not None
        server_id = next(self._ids)
        pending = _Pending(client, msg_id, method, time.monotonic())
        pending.timer = asyncio.get_running_loop().call_later(
            self.config.request_timeout, self._timed_out, server_id)
        self._pending[server_id] = pending
        state.pending += 1
        self.process.send({"jsonrpc": "2.0", "id": server_id, "method": method,
                           "params": incoming.params})

    async def _initialize(self, client: LspClient, state: _Client, msg_id: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.ready), self.config.start_timeout)
        if client not in self.clients:
            return
        client.send(m.reply(msg_id, {
            "capabilities": m.shown_capabilities(self.capabilities, assists=state.assists),
            "serverInfo": {"name": self.spec.title},
        }))
        client.send(m.notification(STATUS, self.status()))
        for params in self.diagnostics.values():
            client.send(m.notification("textDocument/publishDiagnostics", params))

    def status(self) -> dict[str, Any]:
        return {"server": self.spec.name, "title": self.spec.title, "state": self.state,
                "message": self._message}

    _message = ""

    def _set_state(self, state: str, message: str) -> None:
        self.state, self._message = state, message
        frame = m.notification(STATUS, self.status())
        for client in self.clients:
            client.send(frame)

    def _take(self, state: _Client) -> bool:
        now = time.monotonic()
        state.tokens = min(float(self.config.message_burst),
                           state.tokens + (now - state.stamp) * self.config.messages_per_second)
        state.stamp = now
        if state.tokens < 1:
            return False
        state.tokens -= 1
        return True

    # --- the language server's side -------------------------------------------------------

    def _from_server(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        msg_id = message.get("id")
        if method is None:
            if isinstance(msg_id, int):
                self._answer(msg_id, message)
            return
        if msg_id is not None:
            self._server_request(msg_id, method, message.get("params"))
            return
        if method == "textDocument/publishDiagnostics":
            params = message.get("params")
            if isinstance(params, dict) and m.path_of(params.get("uri")) is not None:
                self.diagnostics[params["uri"]] = params
                frame = m.notification(method, params)
                for client in self.clients:
                    client.send(frame)
        # Everything else (log messages, progress, telemetry) stays here: what a language
        # server prints may name files or errors of its own, and is for our log at most.

    def _answer(self, server_id: int, message: dict[str, Any]) -> None:
        own = self._own.pop(server_id, None)
        if own is not None:
            if not own.done():
                if "error" in message:
                    own.set_exception(ConnectionError(str(message["error"])[:200]))
                else:
                    own.set_result(message.get("result"))
            return
        pending = self._settle(server_id)
        if pending is None:
            return
        if "error" in message:
            err = message["error"] if isinstance(message["error"], dict) else {}
            pending.client.send(m.error(pending.client_id, int(err.get("code", -32603)),
                                        str(err.get("message", "failed"))[:500]))
            return
        result = message.get("result")
        if pending.method in m.LOCATION_METHODS:
            result = m.within_workspace(result)
        pending.client.send(m.reply(pending.client_id, result))

    def _settle(self, server_id: int) -> _Pending | None:
        """The socket's request that ``server_id`` answers, taken off the books (its timer,
        its socket's count in flight, the latency kept); None when the socket went away or
        the request timed out."""
        pending = self._pending.pop(server_id, None)
        if pending is None:
            return None
        if pending.timer is not None:
            pending.timer.cancel()
        state = self.clients.get(pending.client)
        if state is None:
            return None
        state.pending -= 1
        elapsed = time.monotonic() - pending.started
        self.stats.latencies.setdefault(pending.method, deque(maxlen=10_000)).append(elapsed)
        return pending

    def _raw_answer(self, server_id: int, result: bytes) -> None:
        """A large answer passed on as the server wrote it: only its id is replaced with the
        asking socket's. Answers the session asked for itself, and locations (which are kept
        to the workspace), are parsed as any other message."""
        pending = self._pending.get(server_id)
        if (server_id in self._own or pending is None
                or pending.method in m.LOCATION_METHODS):
            with contextlib.suppress(ValueError):
                self._answer(server_id, {"jsonrpc": "2.0", "id": server_id,
                                         "result": json.loads(result)})
            return
        if self._settle(server_id) is None:
            return
        self.stats.raw_answers += 1
        pending.client.send(m.reply_raw(pending.client_id, result.decode("utf-8", "replace")))

    def _server_request(self, msg_id: Any, method: str, params: Any) -> None:
        result: Any = None
        if method == "workspace/configuration" and isinstance(params, dict):
            items = params.get("items")
            items = items if isinstance(items, list) else []
            result = [self._setting(item.get("section") if isinstance(item, dict) else None)
                      for item in items]
        elif method == "workspace/workspaceFolders":
            result = [{"uri": m.WORKSPACE_URI, "name": "workspace"}]
        if self.process is not None:
            self.process.send({"jsonrpc": "2.0", "id": msg_id, "result": result})

    def _setting(self, section: object) -> Any:
        value: Any = self.spec.settings
        if isinstance(section, str) and section:
            for part in section.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        return value

    def _request_own(self, method: str, params: Any) -> asyncio.Future[Any]:
        assert self.process is not None
        server_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._own[server_id] = future
        self.process.send({"jsonrpc": "2.0", "id": server_id, "method": method, "params": params})
        return future

    def _timed_out(self, server_id: int) -> None:
        pending = self._pending.pop(server_id, None)
        if pending is None:
            return
        state = self.clients.get(pending.client)
        if state is not None:
            state.pending -= 1
            pending.client.send(m.error(pending.client_id, m.REQUEST_FAILED,
                                        "the language server did not answer in time"))
        if self.process is not None:
            self.process.send({"jsonrpc": "2.0", "method": "$/cancelRequest",
                               "params": {"id": server_id}})

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if item.timer is not None:
                item.timer.cancel()
            state = self.clients.get(item.client)
            if state is not None:
                state.pending -= 1
                item.client.send(m.error(item.client_id, m.SERVER_CANCELLED, reason))
        own, self._own = self._own, {}
        for future in own.values():
            if not future.done():
                future.set_exception(ConnectionError(reason))
                future.exception()

    # --- the room's files -----------------------------------------------------------------

    def tree_changed(self) -> None:
        """The code document changed: sync the server soon (a burst of keystrokes is one
        sync; a request that comes meanwhile syncs first, see :meth:`receive`)."""
        if self._sync_timer is None and self.state == "running":
            self._sync_timer = asyncio.get_running_loop().call_later(
                self.config.sync_delay, self._sync)

    def _flush_sync(self) -> None:
        if self._sync_timer is not None:
            self._sync_timer.cancel()
            self._sync()

    def _sync(self) -> None:
        self._sync_timer = None
        process = self.process
        tree = self.source.read()
        if process is None or tree is None:
            return
        self.stats.syncs += 1
        for uri in self.files.sync(tree, process.send):
            if self.diagnostics.pop(uri, None) is not None:
                frame = m.notification("textDocument/publishDiagnostics",
                                       {"uri": uri, "diagnostics": []})
                for client in self.clients:
                    client.send(frame)
