"""What every code-execution backend shares: the request, the result, and a bounded queue.

A backend (local bubblewrap, Piston, Judge0) implements :meth:`Executor._execute`; the base
class admits runs through :class:`RunQueue`, so every backend answers "busy" the same way.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any, Literal

RunStatus = Literal[
    "ok",
    "compile_error",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "output_limit",
    "internal_error",
]

#: Statuses a stored run may have before it has a result.
PENDING_STATUSES = ("queued", "running")

#: Called with ("stdout" | "stderr", text) as the program writes, for live output.
OutputListener = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One program to run: source text in one language, with standard input.

    A project run (docs/projects.md) also names the entry file's path in the tree (``code`` is
    its text), carries the tree's other files (path -> text), and may give a command line that
    runs instead of the language's usual way to build and run the entry file.
    """

    language: str
    code: str
    stdin: str = ""
    entry: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    command: str | None = None
    # For a project's tests run and a preview's build: variables the command gets
    # (CODEPAIR_JUNIT_XML), and files of the project (paths in the tree) read back after the
    # run, into ``collected``.
    env: Mapping[str, str] = field(default_factory=dict)
    collect: tuple[str, ...] = ()

    @property
    def is_project(self) -> bool:
        return self.entry is not None or bool(self.files) or self.command is not None


@dataclass(slots=True)
class RunResult:
    """What came of a run; the same shape for every backend.

    ``message`` explains a status in words (a limit that was hit, a backend failure, a run
    without a sandbox); ``sandboxed`` is False only when the operator allowed unsandboxed runs.
    """

    status: RunStatus
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: int | None = None
    compile_output: str = ""
    cpu_ms: int | None = None
    wall_ms: int | None = None
    memory_kb: int | None = None
    truncated: bool = False
    message: str = ""
    sandboxed: bool = True
    # The request's ``collect`` files that the run wrote (path -> text); a file it did not
    # write, or that could not be read back safely, is missing.
    collected: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def internal_error(cls, message: str) -> RunResult:
        return cls(status="internal_error", message=message)


@dataclass(frozen=True, slots=True)
class LanguageInfo:
    """A language this server can run, as ``GET /api/languages`` lists it."""

    id: str
    name: str
    version: str = ""
    compiled: bool = False
    extensions: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "compiled": self.compiled,
        }


class Busy(Exception):
    """Every worker is busy and the waiting line is full; try again after ``retry_after``."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("The code runner is busy; try again shortly")
        self.retry_after = retry_after


class UnknownLanguage(ValueError):
    """The language is not one this server can run."""


class Ticket:
    """A place in the queue, taken at once by :meth:`RunQueue.reserve`.

    ``async with ticket as slot`` waits for a worker slot (0 .. concurrency-1) and gives it
    back on exit. A ticket that is never entered must be :meth:`release`\\ d.
    """

    def __init__(self, queue: RunQueue) -> None:
        self._queue = queue
        self._slot: int | None = None
        self._released = False

    async def __aenter__(self) -> int:
        try:
            self._slot = await self._queue._free.get()
        except BaseException:
            self.release()
            raise
        return self._slot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def release(self) -> None:
        """Give back the place (and the slot, if one was taken). Safe to call twice."""
        if self._released:
            return
        self._released = True
        if self._slot is not None:
            self._queue._free.put_nowait(self._slot)
            self._slot = None
        self._queue._admitted -= 1


class RunQueue:
    """At most ``concurrency`` runs at once and ``waiting`` more in line; the rest are refused.

    Refusing at once (instead of queueing without bound) keeps a burst of runs from piling up
    minutes of work behind one button press; the client is told when to try again.
    """

    def __init__(self, concurrency: int, waiting: int, *, retry_after: float = 1.0) -> None:
        self.concurrency = max(1, concurrency)
        self.waiting = max(0, waiting)
        self.retry_after = retry_after
        self._admitted = 0
        self._free: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(self.concurrency):
            self._free.put_nowait(slot)

    @property
    def admitted(self) -> int:
        """Runs running or waiting."""
        return self._admitted

    def reserve(self) -> Ticket:
        """A ticket, or :class:`Busy` when the line is full. Never waits."""
        if self._admitted >= self.concurrency + self.waiting:
            raise Busy(self.retry_after)
        self._admitted += 1
        return Ticket(self)


class Executor(ABC):
    """Runs programs for the rooms. Subclasses implement :meth:`_execute` and the languages."""

    #: A label for logs and ``GET /api/languages``.
    backend: str = "?"

    def __init__(self, *, concurrency: int, waiting: int, retry_after: float) -> None:
        self.queue = RunQueue(concurrency, waiting, retry_after=max(1.0, math.ceil(retry_after)))

    def reserve(self) -> Ticket:
        """Take a place in line now (or raise :class:`Busy`) and run later with the ticket."""
        return self.queue.reserve()

    async def run(
        self,
        request: RunRequest,
        *,
        ticket: Ticket | None = None,
        on_output: OutputListener | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
    ) -> RunResult:
        """Run one program and return its result; raises :class:`Busy` when full.

        ``on_start`` is called when the run leaves the queue; ``on_output`` as output arrives
        (backends that cannot stream call it once, at the end).
        """
        if ticket is None:
            ticket = self.reserve()
        async with ticket as slot:
            if on_start is not None:
                await on_start()
            return await self._execute(request, slot, on_output)

    @abstractmethod
    async def _execute(
        self, request: RunRequest, slot: int, on_output: OutputListener | None
    ) -> RunResult:
        """Run ``request`` in worker ``slot``; never raise for a program's own failure."""

    @abstractmethod
    def available_languages(self) -> list[LanguageInfo]:
        """The languages this backend can run now."""

    async def start(self) -> None:
        """Probe toolchains or the remote engine; called once before serving."""
        return None

    async def close(self) -> None:
        """Stop every run still going; called when the server stops."""
        return None

    def supports(self, language: str) -> bool:
        return any(lang.id == language for lang in self.available_languages())
