"""Every room's terminal on this instance: made on first socket, stopped when done.

One :class:`Terminals` per process, beside the hub. It owns the shell sandbox, the pool of
uids shells run as (one a live shell, so ``RLIMIT_NPROC`` is per room), the record writer,
and what stops shells: the room ending (the hub tells it, :meth:`room_ended`), an idle
terminal (no socket for ``idle_seconds``) and the server stopping (:meth:`stop`).

Alone (no bus), a room's sockets attach to its :class:`TerminalSession` here, nothing
between. With a bus (several instances), to a :class:`~codepair.terminal.cluster.
SharedTerminal`, which runs the session here or relays to the instance that does.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from typing import Any

import structlog
from pycrdt import Doc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.domain.projects.tree import TreeCaps
from codepair.domain.terminal.record import TerminalRecord
from codepair.hub.connection import Connection
from codepair.hub.docroom import DocRoom
from codepair.hub.hub import Hub
from codepair.hub.protocol import CloseCode
from codepair.runner.cgroups import MemoryGroups
from codepair.runner.shell import ShellLimits, ShellSandbox
from codepair.security.tokens import Principal
from codepair.terminal.cluster import SharedTerminal
from codepair.terminal.session import TerminalConfig, TerminalSession

log = structlog.get_logger("codepair.terminal")


class ShellsFull(Exception):
    """Every shell uid of this instance is in use (``CODEPAIR_TERMINAL_MAX_SHELLS``)."""


class SlotPool:
    """Shell uids ``base + slot``: a slot is taken while its shell lives."""

    def __init__(self, size: int) -> None:
        self._free = list(range(size - 1, -1, -1))

    def take(self) -> int:
        if not self._free:
            raise ShellsFull
        return self._free.pop()

    def give_back(self, slot: int) -> None:
        self._free.append(slot)


class HubHost:
    """The hub as a terminal sees it (session.TerminalHost)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def join_doc(self, room_id: str, doc: str, conn: Connection) -> DocRoom:
        return await self.hub.join_doc(room_id, doc, conn)

    def leave_doc(self, room: DocRoom, conn: Connection) -> None:
        self.hub.leave_doc(room, conn)

    async def change(
        self, room_id: str, doc: str, mutate: Callable[[Doc[Any]], None], *, author: str
    ) -> None:
        await self.hub.change(room_id, doc, mutate, author=author)

    def timeline(self, room_id: str, principal: Principal | None, data: dict[str, Any]) -> None:
        self.hub.recorder.record(room_id, "terminal", principal, data)


def config_from(settings: Settings) -> TerminalConfig:
    return TerminalConfig(
        ring_bytes=settings.terminal_ring_bytes,
        output_bytes_per_second=settings.terminal_output_bytes_per_second,
        output_burst_bytes=settings.terminal_output_burst_bytes,
        idle_seconds=settings.terminal_idle_seconds,
        lease_seconds=settings.terminal_lease_seconds,
        caps=TreeCaps(max_files=settings.project_max_files,
                      max_file_bytes=settings.project_max_file_bytes),
    )


class Terminals:
    """The room terminals of this process."""

    def __init__(
        self, settings: Settings, hub: Hub, db: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.host = HubHost(hub)
        self.config = config_from(settings)
        bwrap = shutil.which("bwrap")
        self.sandbox = ShellSandbox(
            bwrap=bwrap,
            uid_base=settings.terminal_uid_base,
            limits=ShellLimits(
                processes=settings.terminal_max_processes,
                address_space_mb=settings.terminal_memory_limit_mb,
                shell_memory_mb=settings.terminal_shell_memory_mb,
                cpu_seconds=settings.terminal_cpu_seconds,
                workspace_bytes=settings.terminal_disk_bytes,
            ),
            # Named after the uid range: two servers on a machine have ranges of their own.
            memory=MemoryGroups(f"codepair-terminal-{settings.terminal_uid_base}")
            if bwrap and settings.terminal_enabled else None,
        )
        self.record = TerminalRecord(
            db, settings.group_commit_ms / 1000, max_bytes=settings.terminal_record_max_bytes
        )
        self.slots = SlotPool(settings.terminal_max_shells)
        self.sessions: dict[str, TerminalSession] = {}
        self.bus = hub.bridge.bus if hub.bridge is not None else None
        self.shared: dict[str, SharedTerminal] = {}
        self._stopping = False
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def available(self) -> bool:
        return self.sandbox.bwrap is not None

    async def start(self) -> None:
        self.record.start()
        self.hub.room_closers.append(self.room_ended)
        self.hub.connection_sources.append(self.connections)

    async def stop(self) -> None:
        """The server stops: every shell dies, every socket is told, the record is written."""
        self._stopping = True
        for shared in list(self.shared.values()):
            for conn in shared.clients:
                conn.close(CloseCode.GOING_AWAY, "server shutting down")
            await shared.close("The server is stopping.")
        self.shared.clear()
        await asyncio.gather(*self._closing, return_exceptions=True)
        for session in list(self.sessions.values()):
            for conn in list(session.clients):
                conn.close(CloseCode.GOING_AWAY, "server shutting down")
            await session.stop("The server is stopping.")
        self.sessions.clear()
        await self.record.stop()
        if self.sandbox.memory is not None:
            self.sandbox.memory.close()

    def has(self, room_id: str) -> bool:
        """Whether this instance has the room's terminal open."""
        return room_id in self.sessions or room_id in self.shared

    async def attach(
        self, room_id: str, conn: Connection, *, ended: bool = False
    ) -> TerminalSession | SharedTerminal:
        """Attach a socket to the room's terminal (made if need be); ``ended``: the room has
        ended, no shell may start. What the socket's messages go to is returned."""
        if self.bus is None:
            session = self.session(room_id)
            session.ended = session.ended or ended
            session.attach(conn)
            return session
        shared = self.shared.get(room_id)
        if shared is None:
            shared = SharedTerminal(
                room_id,
                bus=self.bus,
                config=self.config,
                make_session=lambda on_idle: self._new_session(room_id, on_idle),
                on_empty=self._empty,
            )
            self.shared[room_id] = shared
        shared.ended = shared.ended or ended
        await shared.open()
        await shared.attach(conn)
        return shared

    def session(self, room_id: str) -> TerminalSession:
        session = self.sessions.get(room_id)
        if session is None:
            session = self._new_session(room_id, self._idle)
            self.sessions[room_id] = session
        return session

    def _new_session(
        self, room_id: str, on_idle: Callable[[TerminalSession], None]
    ) -> TerminalSession:
        return TerminalSession(
            room_id,
            host=self.host,
            sandbox=self.sandbox,
            record=self.record,
            slots=self.slots,
            config=self.config,
            on_idle=on_idle,
        )

    def _empty(self, shared: SharedTerminal) -> None:
        """No socket here and no shell here: this instance stops listening to the room."""
        if self.shared.get(shared.room_id) is shared:
            del self.shared[shared.room_id]
        task = asyncio.get_running_loop().create_task(shared.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _idle(self, session: TerminalSession) -> None:
        if self.sessions.get(session.room_id) is session:
            del self.sessions[session.room_id]
        asyncio.get_running_loop().create_task(
            session.stop("No one had the terminal open: the shell was stopped.")
        )

    def room_ended(self, room_id: str) -> None:
        """The room ended (or was deleted): the shell dies, the candidate's sockets close.

        Every instance hears of it (the hub's control channel): each closes its own sockets,
        and the instance with the shell stops it."""
        shared = self.shared.get(room_id)
        if shared is not None:
            shared.ended = True
            for conn in shared.clients:
                if conn.is_candidate:
                    conn.close(CloseCode.ROOM_ENDED, "room ended")
            if shared.session is not None:
                self.record.forget(room_id)
                asyncio.get_running_loop().create_task(shared.session.stop(
                    "The interview has ended: the shell was stopped.", ended=True))
            return
        session = self.sessions.get(room_id)
        if session is None:
            return
        for conn in list(session.clients):
            if conn.is_candidate:
                conn.close(CloseCode.ROOM_ENDED, "room ended")
        self.record.forget(room_id)
        asyncio.get_running_loop().create_task(
            session.stop("The interview has ended: the shell was stopped.", ended=True)
        )

    def connections(self) -> list[Connection]:
        """Every terminal socket here (for notices that close a person's sockets)."""
        return [conn for s in self.sessions.values() for conn in s.clients
                if not conn.relayed] + [conn for s in self.shared.values() for conn in s.clients]
