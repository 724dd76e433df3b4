"""Every room's language servers in this process: found once, started on first use,
stopped when idle, all stopped with the server."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from codepair.config import Settings
from codepair.domain.intellisense.session import LanguageSession, SessionConfig, TreeSource
from codepair.runner.cgroups import MemoryGroups
from codepair.runner.langservers import (
    BY_LANGUAGE,
    SERVERS,
    WITHOUT_SERVER,
    ServerLimits,
    ServerSpec,
    bubblewrap,
    find_toolchains,
)
from codepair.runner.languages import reachable_copy, world_traversable

log = structlog.get_logger("codepair.lsp")

#: Every language the socket answers for (with a server or with the reason it has none).
LANGUAGES = frozenset(BY_LANGUAGE) | frozenset(WITHOUT_SERVER)


@dataclass(frozen=True, slots=True)
class Availability:
    """A language's server on this machine: the spec and its toolchains, or why not."""

    language: str
    spec: ServerSpec | None
    toolchains: Path | None
    reason: str  # for people, when spec is None


class LanguageServices:
    """The registry of :class:`LanguageSession` by ``(room, server)``."""

    def __init__(self, config: SessionConfig, search: Sequence[Path], *, enabled: bool,
                 max_servers: int = 32) -> None:
        self.config = config
        self.enabled = enabled
        self.max_servers = max_servers
        self.sessions: dict[tuple[str, str], LanguageSession] = {}
        self._found: dict[str, tuple[ServerSpec, Path | None] | None] = {}
        mirrors: dict[Path, Path | None] = {}
        for spec in SERVERS:
            where = find_toolchains(spec, search)
            if isinstance(where, Path) and config.bwrap is not None:
                # bubblewrap opens the mount as the servers' uid: a checkout under a private
                # directory (as CI makes) is reached through a hard-linked mirror, once.
                if where not in mirrors:
                    mirrors[where] = reachable_copy(where, _mirror_root(where))
                where = mirrors[where]
            self._found[spec.name] = None if where is None else (
                spec, where if isinstance(where, Path) else None)
        log.info("lsp_servers", found=sorted(k for k, v in self._found.items() if v),
                 missing=sorted(k for k, v in self._found.items() if not v),
                 sandboxed=config.bwrap is not None)
        self._closing: set[asyncio.Task[None]] = set()

    def availability(self, language: str) -> Availability:
        spec = BY_LANGUAGE.get(language)
        if not self.enabled:
            return Availability(language, None, None, "Language help is off on this server.")
        if spec is None:
            reason = WITHOUT_SERVER.get(language, f"No language server for {language} here.")
            return Availability(language, None, None, reason)
        found = self._found.get(spec.name)
        if found is None:
            return Availability(language, None, None,
                                f"The {spec.title} language server is not installed here.")
        if self.config.bwrap is None:
            return Availability(language, None, None,
                                "Language servers need the sandbox (bubblewrap), which is "
                                "not installed here.")
        return Availability(language, spec, found[1], "")

    def get(self, room_id: str, spec: ServerSpec) -> LanguageSession | None:
        return self.sessions.get((room_id, spec.name))

    def admit(self, room_id: str, found: Availability) -> Availability:
        """``found``, or why not when it would start a server past ``max_servers`` on this
        instance (each may take ``lsp_memory_mb``): the room is told, and asks again later."""
        if found.spec is None or self.get(room_id, found.spec) is not None:
            return found
        if len(self.sessions) < self.max_servers:
            return found
        log.warning("lsp_servers_full", room=room_id, server=found.spec.name,
                    running=len(self.sessions))
        return Availability(found.language, None, None,
                            f"This CodePair server already runs its most language servers "
                            f"at once ({self.max_servers}); reopen the room later to try "
                            "again.")

    def start(
        self, room_id: str, found: Availability, source: TreeSource
    ) -> LanguageSession:
        """A new session for the room (the caller checked there is none)."""
        assert found.spec is not None
        session = LanguageSession(room_id, found.spec, found.toolchains, source, self.config,
                                  on_idle=self._idle)
        self.sessions[(room_id, found.spec.name)] = session
        session.start()
        log.info("lsp_session_started", room=room_id, server=found.spec.name)
        return session

    def _idle(self, session: LanguageSession) -> None:
        self._forget(session)
        log.info("lsp_session_idle", room=session.room_id, server=session.spec.name)

    def _forget(self, session: LanguageSession) -> None:
        key = (session.room_id, session.spec.name)
        if self.sessions.get(key) is session:
            del self.sessions[key]
        task = asyncio.create_task(session.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def each_of_room(self, room_id: str) -> list[LanguageSession]:
        return [s for (rid, _), s in self.sessions.items() if rid == room_id]

    def for_each(self, fn: Callable[[LanguageSession], None]) -> None:
        for session in list(self.sessions.values()):
            fn(session)

    async def stop(self) -> None:
        """Stop every language server (the server is stopping)."""
        for session in list(self.sessions.values()):
            self._forget(session)
        for task in list(self._closing):
            with contextlib.suppress(Exception):
                await task


def _mirror_root(toolchains: Path) -> Path:
    """Where a mirror of ``toolchains`` goes: beside it when every uid can reach that, else
    the system temp dir (the runner's mirrors' place, docs/runner.md)."""
    parent = toolchains.resolve().parent
    if world_traversable(parent):
        return parent / "mirrors"
    return Path(tempfile.gettempdir()) / "codepair-toolchains"


def language_services(settings: Settings) -> LanguageServices:
    """The registry as ``CODEPAIR_LSP_*`` and the runner's settings say."""
    repo = Path(__file__).resolve().parents[3]
    search = [
        p
        for p in (
            settings.lsp_toolchains_dir,
            settings.runner_toolchains_dir,
            settings.data_dir / "toolchains",
            repo / "data" / "toolchains",
        )
        if p is not None
    ]
    config = SessionConfig(
        bwrap=bubblewrap(),
        workspace_root=Path(tempfile.gettempdir()) / "codepair-lsp",
        limits=ServerLimits(memory_mb=settings.lsp_memory_mb,
                            tree_memory_mb=settings.lsp_tree_memory_mb),
        # Named after the runs' uid range, as the runs' groups: a server's own.
        memory=MemoryGroups(f"codepair-lsp-{settings.runner_uid_base}")
        if settings.lsp_enabled and bubblewrap() else None,
        idle_seconds=settings.lsp_idle_seconds,
        messages_per_second=settings.lsp_messages_per_second,
        message_burst=settings.lsp_message_burst,
        max_pending=settings.lsp_max_pending,
    )
    return LanguageServices(config, search, enabled=settings.lsp_enabled,
                            max_servers=settings.lsp_max_servers)
