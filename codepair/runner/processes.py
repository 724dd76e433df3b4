"""Watching and ending a sandboxed process: its pipes, read without blocking and capped,
and a kill that reaches everything inside the sandbox."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
from collections.abc import Callable

from codepair.runner.executor import OutputListener

READ_CHUNK = 65536


class RunningSandbox:
    """A running sandbox, to be killed from the inside out."""

    def __init__(self, pid: int, info: PipeReader) -> None:
        self.pid = pid
        self.info = info
        self._fallback: asyncio.TimerHandle | None = None

    def inner_pid(self) -> int | None:
        match = re.search(rb'"child-pid"\s*:\s*(\d+)', bytes(self.info.data))
        return int(match.group(1)) if match else None

    def kill(self, *, fallback_after: float | None = 0.5) -> None:
        """SIGKILL the sandbox's pid 1 (the kernel then kills the rest); if that does not end
        bubblewrap in ``fallback_after`` seconds, or the pid is unknown, kill bubblewrap too."""
        inner = self.inner_pid()
        if inner is None or fallback_after is None:
            if inner is not None:
                kill_pid(inner)
            kill_tree(self.pid)
            return
        kill_pid(inner)
        if self._fallback is None:
            loop = asyncio.get_running_loop()
            self._fallback = loop.call_later(fallback_after, kill_tree, self.pid)

    def cancel_fallback(self) -> None:
        if self._fallback is not None:
            self._fallback.cancel()


class PipeReader:
    """Reads one pipe without blocking, keeps at most ``cap`` bytes, reports live text."""

    def __init__(
        self,
        name: str,
        fd: int,
        cap: int,
        on_output: OutputListener | None,
        over_cap: Callable[[], None],
    ) -> None:
        self.name = name
        self.fd = fd
        self.cap = cap
        self.data = bytearray()
        self.on_output = on_output
        self.over_cap = over_cap
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.eof: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        os.set_blocking(fd, False)

    def readable(self) -> None:
        try:
            chunk = os.read(self.fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            if not self.eof.done():
                self.eof.set_result(None)
            asyncio.get_running_loop().remove_reader(self.fd)
            return
        room = self.cap - len(self.data)
        if room > 0:
            kept = chunk[:room]
            self.data += kept
            if self.on_output is not None:
                text = self.decoder.decode(kept)
                if text:
                    self.on_output(self.name, text)
        if len(chunk) > room:
            self.over_cap()

    def flush(self) -> None:
        if self.on_output is not None:
            text = self.decoder.decode(b"", final=True)
            if text:
                self.on_output(self.name, text)


def open_path(path: str, opened: list[int]) -> int:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    opened.append(fd)
    return fd


def memfd(name: str, content: bytes) -> int:
    """An anonymous in-memory file holding ``content``, positioned at its start."""
    fd = os.memfd_create(f"codepair-{name}", 0)
    view = memoryview(content)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def kill_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def kill_tree(pid: int) -> None:
    # The outer process leads its own process group (start_new_session); bubblewrap's
    # --die-with-parent then kills the sandbox's pid 1, and the kernel everything inside.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
