"""One room's shared shell: the sockets attached to it, its output, its life.

terminado's shape (a named terminal that every client of the name shares, a bounded buffer
of recent output sent to each new client first), with the room's rules:

- **Everyone types** into the one shell; an interviewer may make it read-only for the
  candidate. Keystrokes of a read-only candidate are dropped and answered with an error.
- **Size follows the last typist**: each socket says its size (``resize``); the terminal
  takes the size of the socket that typed last (and, before anyone typed, of the last socket
  that said one). Everyone sees the one screen; a browser whose window is smaller than the
  typist's scrolls its pane.
- **Output** is read by the event loop (``add_reader``), kept in a ring of the last
  ``ring_bytes`` (replayed to a new socket so its screen matches) and sent to every socket as
  it is. Past ``output_bytes_per_second`` (with a burst) the terminal is not read for a while:
  the shell's writes block in the kernel, so a flood slows the flooder and nobody else; the
  terminal says so once.
- **Life**: the first socket (or, after an exit, the next keystroke) starts the shell; an
  interviewer's ``restart`` starts a new one from the tree; no socket for ``idle_seconds``,
  the room ending and the server stopping kill it. Each start, restart and exit is a
  ``terminal`` event on the room's timeline and a marker in the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from pycrdt import Doc

from codepair.domain.projects.tree import TreeCaps
from codepair.domain.terminal.record import TerminalRecord
from codepair.hub.connection import Connection
from codepair.runner.shell import Shell, ShellSandbox
from codepair.runner.workspace import Workspace
from codepair.security.tokens import Principal
from codepair.terminal import protocol
from codepair.terminal.sync import TreeSync

if TYPE_CHECKING:
    from codepair.hub.docroom import DocRoom

log = structlog.get_logger("codepair.terminal")

READ_CHUNK = 65536
MAX_PENDING_INPUT = 64 * 1024
# What a terminal sends by itself when a program asks, as xterm.js sends it (one frame):
# the cursor position (CSI row;col R), device attributes (CSI ? ... c, CSI > ... c), status.
_TERMINAL_REPLY = re.compile(rb"\x1b\[(?:\d+;\d+R|[?>][\d;]*c|0n)")
# How often a running shell's memory group is read for the kernel's kills (one small file).
MEMORY_CHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """The knobs of every room's terminal (``CODEPAIR_TERMINAL_*``)."""

    ring_bytes: int = 128 * 1024
    output_bytes_per_second: int = 1024 * 1024
    output_burst_bytes: int = 2 * 1024 * 1024
    idle_seconds: float = 600.0
    input_frame_bytes: int = 64 * 1024
    # With several instances: how long the shell's instance holds the room's lease unrenewed.
    lease_seconds: float = 6.0
    caps: TreeCaps = field(default_factory=TreeCaps)


class TerminalHost(Protocol):
    """What a terminal needs of the hub: the room's code document, a way to change it as the
    server, and the timeline."""

    async def join_doc(self, room_id: str, doc: str, conn: Connection) -> DocRoom: ...

    def leave_doc(self, room: DocRoom, conn: Connection) -> None: ...

    async def change(
        self, room_id: str, doc: str, mutate: Callable[[Doc[Any]], None], *, author: str
    ) -> None: ...

    def timeline(
        self, room_id: str, principal: Principal | None, data: dict[str, Any]
    ) -> None: ...


class DocHolder(Connection):
    """The terminal's own place in the room's ``code`` document: it keeps the document
    loaded (and, with several instances, up to date) while the shell lives. It sends nothing."""

    def __init__(self) -> None:
        super().__init__(Principal(kind="access", role="system", name="terminal"), "system")

    def send(self, message: bytes | str) -> None:
        pass

    def close(self, code: int, reason: str) -> None:
        self.closed = True

    def abort(self, code: int, reason: str) -> None:
        self.closed = True


class OutputRing:
    """The last ``limit`` bytes of output (whole reads, the oldest dropped first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0

    def append(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        while self._size - len(self._chunks[0]) >= self.limit:
            self._size -= len(self._chunks.popleft())

    def clear(self) -> None:
        self._chunks.clear()
        self._size = 0

    def contents(self) -> bytes:
        data = b"".join(self._chunks)
        return data[-self.limit:] if len(data) > self.limit else data


class SlotPool(Protocol):
    def take(self) -> int: ...

    def give_back(self, slot: int) -> None: ...


class TerminalSession:
    """The shell of one room and the sockets that share it."""

    def __init__(
        self,
        room_id: str,
        *,
        host: TerminalHost,
        sandbox: ShellSandbox,
        record: TerminalRecord,
        slots: SlotPool,
        config: TerminalConfig,
        on_idle: Callable[[TerminalSession], None],
    ) -> None:
        self.room_id = room_id
        self.host = host
        self.sandbox = sandbox
        self.record = record
        self.slots = slots
        self.config = config
        self.on_idle = on_idle
        self.clients: dict[Connection, tuple[int, int] | None] = {}
        # With several instances: what every socket gets goes once to the bus through this,
        # for the other instances' sockets (codepair/terminal/cluster.py).
        self.relay: Callable[[bytes | str], None] | None = None
        self.ring = OutputRing(config.ring_bytes)
        self.state = "exited"
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.readonly = False
        self.cols, self.rows = 80, 24
        self.ended = False  # the room ended: no shell starts again
        self.shell: Shell | None = None
        self._slot: int | None = None
        self._sync: TreeSync | None = None
        self._doc_room: DocRoom | None = None
        self._holder = DocHolder()
        self._typist: Connection | None = None
        self._starting: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._pidfd: int | None = None
        self._pending_input = bytearray()
        self._tokens = float(config.output_burst_bytes)
        self._last_refill = time.monotonic()
        self._paused: asyncio.TimerHandle | None = None
        self._throttle_told = 0.0
        self._memory_watch: asyncio.TimerHandle | None = None
        self._oom_kills = 0
        self._exited: asyncio.Event = asyncio.Event()
        self._exited.set()

    # --- sockets ----------------------------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        """A socket joins: it gets the recent output and the state, then everything live."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self.clients[conn] = None
        recent = self.ring.contents()
        if recent:
            conn.send(recent)
        conn.send(self._status())
        if self.state == "exited" and not self.ended and self.exit_code is None:
            self.start(None, action="start")

    def detach(self, conn: Connection) -> None:
        self.clients.pop(conn, None)
        if self._typist is conn:
            self._typist = None
        if not self.clients and self._idle is None:
            loop = asyncio.get_running_loop()
            self._idle = loop.call_later(self.config.idle_seconds, self._went_idle)

    def _went_idle(self) -> None:
        self._idle = None
        if not self.clients:
            self.on_idle(self)

    def broadcast(self, message: bytes | str) -> None:
        for conn in list(self.clients):
            if not conn.relayed:
                conn.send(message)
        if self.relay is not None:
            self.relay(message)

    def _status(self) -> str:
        return protocol.status(
            self.state,
            readonly=self.readonly,
            cols=self.cols,
            rows=self.rows,
            exit_code=self.exit_code if self.state == "exited" else None,
            reason=self.reason,
        )

    def _tell(self) -> None:
        self.broadcast(self._status())

    def notice(self, text: str) -> None:
        """A line in the terminal from the server (not from the shell): in yellow, on a line
        of its own, kept in the ring and the record like output."""
        self._output(f"\r\n\x1b[33m[codepair] {text}\x1b[0m\r\n".encode())

    # --- input ------------------------------------------------------------------------------

    def keystrokes(self, conn: Connection, data: bytes) -> None:
        if _TERMINAL_REPLY.fullmatch(data):
            # Every open browser's terminal answers a program's query (where is the cursor,
            # what terminal is this); the shell is one terminal and gets one answer: the
            # last typist's, or the first socket's while nobody has typed.
            answerer = self._typist if self._typist in self.clients else next(
                iter(self.clients), None)
            if conn is not answerer or self.state != "running":
                return
            self.record.add(self.room_id, "i", data)
            self._write(data)
            return
        if self.readonly and conn.is_candidate:
            conn.send(protocol.error("read_only", "The interviewer made the terminal read-only"))
            return
        if self.ended:
            conn.send(protocol.error("ended", "The interview has ended"))
            return
        self._typist = conn
        size = self.clients.get(conn)
        if size is not None and size != (self.cols, self.rows):
            self._apply_size(*size)
        if self.state == "exited":
            # After an exit (or an instance that died), the next keystroke starts a new shell.
            self.start(conn.principal, action="start")
            return
        self.record.add(self.room_id, "i", data)
        if self.state == "starting":
            self._queue_input(data)
            return
        self._write(data)

    def _queue_input(self, data: bytes) -> None:
        room = MAX_PENDING_INPUT - len(self._pending_input)
        self._pending_input += data[: max(0, room)]

    def _write(self, data: bytes) -> None:
        shell = self.shell
        if shell is None:
            return
        if self._pending_input:
            self._queue_input(data)
            return
        try:
            written = os.write(shell.master_fd, data)
        except BlockingIOError:
            written = 0
        except OSError:
            return
        if written < len(data):
            self._queue_input(data[written:])
            asyncio.get_running_loop().add_writer(shell.master_fd, self._drain_input)

    def _drain_input(self) -> None:
        shell = self.shell
        if shell is None:
            return
        try:
            written = os.write(shell.master_fd, self._pending_input)
        except BlockingIOError:
            return
        except OSError:
            written = len(self._pending_input)
        del self._pending_input[:written]
        if not self._pending_input:
            asyncio.get_running_loop().remove_writer(shell.master_fd)

    def resize(self, conn: Connection, cols: int, rows: int) -> None:
        self.clients[conn] = (cols, rows)
        if self._typist is None or self._typist is conn:
            self._apply_size(cols, rows)

    def _apply_size(self, cols: int, rows: int) -> None:
        if (cols, rows) == (self.cols, self.rows):
            return
        self.cols, self.rows = cols, rows
        if self.shell is not None:
            self.shell.resize(cols, rows)
        self.record.add(self.room_id, "r", f"{cols}x{rows}".encode())
        self._tell()

    def set_readonly(self, conn: Connection, on: bool) -> None:
        if conn.is_candidate:
            conn.send(protocol.error("forbidden", "Only interviewers may do that"))
            return
        self.readonly = on
        self.notice("The terminal is read-only for the candidate." if on
                    else "The candidate may type in the terminal again.")
        self._tell()

    # --- output -----------------------------------------------------------------------------

    def _readable(self) -> None:
        shell = self.shell
        if shell is None:
            return
        try:
            data = os.read(shell.master_fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process holding the terminal has gone
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(shell.master_fd)
            return
        self._output(data)
        self._spend(len(data))

    def _output(self, data: bytes) -> None:
        self.ring.append(data)
        self.record.output(self.room_id, data)
        self.broadcast(data)

    def _spend(self, size: int) -> None:
        """The output rate cap: past it, stop reading until the bucket refills."""
        now = time.monotonic()
        rate = self.config.output_bytes_per_second
        self._tokens = min(
            float(self.config.output_burst_bytes), self._tokens + (now - self._last_refill) * rate
        )
        self._last_refill = now
        self._tokens -= size
        if self._tokens >= 0 or self.shell is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.shell.master_fd)
        if now - self._throttle_told > 30:
            self._throttle_told = now
            self.notice(f"Output is over {rate // 1024} KiB/s: the terminal slows it down "
                        "(Ctrl-C stops the command).")
        self._paused = loop.call_later(-self._tokens / rate, self._resume)

    def _resume(self) -> None:
        self._paused = None
        if self.shell is not None and self.state == "running":
            asyncio.get_running_loop().add_reader(self.shell.master_fd, self._readable)

    # --- life -------------------------------------------------------------------------------

    def start(self, principal: Principal | None, *, action: str) -> None:
        """Start a shell (after stopping the one running) unless one is starting."""
        if self.ended or (self._starting is not None and not self._starting.done()):
            return
        self._starting = asyncio.create_task(self._start(principal, action),
                                             name=f"terminal-start-{self.room_id}")

    async def started(self) -> None:
        """Wait until the shell that is starting has started (or failed to)."""
        starting = self._starting
        if starting is not None and not starting.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(starting)

    async def _start(self, principal: Principal | None, action: str) -> None:
        await self._kill(reason=None, wait=True)
        self.state = "starting"
        self.exit_code = None
        self.reason = None
        self._tell()
        try:
            await self._spawn()
        except Exception as exc:
            log.error("terminal_start_failed", room=self.room_id, error=str(exc))
            self.state = "exited"
            self.exit_code = -1
            self.reason = "The shell could not be started."
            self.notice(self.reason)
            self._tell()
            return
        self.state = "running"
        self.record.add(self.room_id, "r", f"{self.cols}x{self.rows}".encode())
        self.record.add(self.room_id, "m", f"shell {action}".encode())
        self.host.timeline(self.room_id, principal, {"action": action})
        self._tell()
        if self._pending_input:
            pending = bytes(self._pending_input)
            self._pending_input.clear()
            self._write(pending)

    async def _spawn(self) -> None:
        if self._doc_room is None:
            self._doc_room = await self.host.join_doc(self.room_id, "code", self._holder)
        self._slot = self.slots.take()
        shell = await self.sandbox.start(self._slot, cols=self.cols, rows=self.rows)
        root = shell.workspace_root()
        assert root is not None
        sync = TreeSync(
            self._doc_room.doc,
            Workspace(root, uid=shell.uid),
            lambda mutate: self.host.change(self.room_id, "code", mutate, author="terminal"),
            self.config.caps,
        )
        try:
            sync.write_tree()
        except Exception:
            shell.kill()
            raise
        # A resize that came while the sandbox was starting: the terminal takes it now.
        shell.resize(self.cols, self.rows)
        shell.release()
        self.shell = shell
        self._sync = sync
        sync.start()
        self._exited = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._pidfd = os.pidfd_open(shell.pid)
        loop.add_reader(self._pidfd, self._on_exit)
        loop.add_reader(shell.master_fd, self._readable)
        if shell.memory is not None:
            self._oom_kills = shell.memory.oom_kills()
            self._memory_watch = loop.call_later(MEMORY_CHECK_SECONDS, self._check_memory)

    def _check_memory(self) -> None:
        """Say in the terminal when the kernel killed a process for the shell's memory cap
        (bash itself prints only "Killed")."""
        shell = self.shell
        if shell is None or shell.memory is None:
            self._memory_watch = None
            return
        kills = shell.memory.oom_kills()
        if kills > self._oom_kills:
            self._oom_kills = kills
            mib = shell.memory.limit_bytes // (1024 * 1024)
            self.notice(f"A process was stopped: the shell's processes together reached their "
                        f"memory cap ({mib} MiB).")
            self.record.add(self.room_id, "m", b"memory cap")
        self._memory_watch = asyncio.get_running_loop().call_later(
            MEMORY_CHECK_SECONDS, self._check_memory)

    def _on_exit(self) -> None:
        shell = self.shell
        loop = asyncio.get_running_loop()
        if self._pidfd is not None:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if shell is None:
            return
        # Whatever the shell wrote last is still in the terminal: show it before the exit.
        with contextlib.suppress(OSError):
            while data := os.read(shell.master_fd, READ_CHUNK):
                self._output(data)
        try:
            _, status = os.waitpid(shell.pid, os.WNOHANG)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            code = -1
        self._teardown(shell)
        self.state = "exited"
        self.exit_code = code
        self.record.add(self.room_id, "m", f"shell exited {code}".encode())
        self.host.timeline(self.room_id, None, {"action": "exit", "exit_code": code})
        if self.reason:
            self.notice(self.reason)
        else:
            self.notice(f"The shell exited ({code}). Press a key to start a new one.")
        self._tell()
        self._exited.set()

    def _teardown(self, shell: Shell) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(shell.master_fd)
        loop.remove_writer(shell.master_fd)
        if self._paused is not None:
            self._paused.cancel()
            self._paused = None
        if self._memory_watch is not None:
            self._memory_watch.cancel()
            self._memory_watch = None
        shell.kill()
        with contextlib.suppress(OSError):
            os.close(shell.master_fd)
        self._pending_input.clear()
        self.shell = None
        if self._sync is not None:
            sync = self._sync
            self._sync = None
            asyncio.get_running_loop().create_task(sync.stop())
        if self._slot is not None:
            self.slots.give_back(self._slot)
            self._slot = None

    async def _kill(self, *, reason: str | None, wait: bool) -> None:
        shell = self.shell
        if shell is None:
            return
        if reason is not None:
            self.reason = reason
        shell.kill()
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exited.wait(), timeout=5.0)

    async def restart(self, conn: Connection) -> None:
        if conn.is_candidate:
            conn.send(protocol.error("forbidden", "Only interviewers may restart the terminal"))
            return
        if self.ended:
            conn.send(protocol.error("ended", "The interview has ended"))
            return
        if self.shell is not None:
            self.reason = "Restarted by an interviewer."
        self.start(conn.principal, action="restart")

    async def stop(self, reason: str, *, ended: bool = False) -> None:
        """Kill the shell for good (room ended, idle, server stopping) and say why."""
        if ended:
            self.ended = True
        if self._starting is not None and not self._starting.done():
            with contextlib.suppress(Exception):
                await self._starting
        if self.shell is not None:
            await self._kill(reason=reason, wait=True)
        if self._doc_room is not None:
            self.host.leave_doc(self._doc_room, self._holder)
            self._doc_room = None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
