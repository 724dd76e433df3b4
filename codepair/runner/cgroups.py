"""A memory cap on a whole process tree (a room's shell, a run), from the kernel's memory
cgroup.

rlimits cap each process (``RLIMIT_AS``), so a shell's 64 processes of 1.5 GiB could still take
96 GiB together, a run's 64 of 512 MiB 32 GiB; a memory cgroup caps their sum. Its limit
counts what the tree touches, its tmpfs files included; past it the kernel's OOM killer kills
a process inside the group (the largest), never one outside it.

cgroup v2 (``memory.max``, ``memory.events``) where the memory controller is on the unified
hierarchy, v1 (``memory.limit_in_bytes`` and swap's ``memory.memsw.limit_in_bytes``,
``memory.oom_control``) where it is on its own. Creating groups needs root, as the shell's
``setpriv`` does; where neither is writable the shells run with their rlimits alone and the
server's log says so once (docs/terminal.md).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("codepair.runner")

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True, slots=True)
class _Files:
    limit: str
    swap_limit: str | None
    oom_file: str  # a line "oom_kill N" counts the kernel's kills in the group


_V2 = _Files("memory.max", "memory.swap.max", "memory.events")
_V1 = _Files("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control")


@dataclass(slots=True)
class MemoryGroup:
    """One capped group: processes join it, their children are born in it."""

    path: Path
    files: _Files
    limit_bytes: int

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` started inside the group: a shell writes its own pid into the group, then
        becomes ``argv`` (the same process), so every process it makes is born in it."""
        procs = str(self.path / "cgroup.procs")
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *argv]

    def oom_kills(self) -> int:
        """How many processes the kernel killed in the group for its cap (0 if unknown)."""
        with contextlib.suppress(OSError, ValueError):
            for line in (self.path / self.files.oom_file).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def remove(self) -> None:
        """Delete the group once its processes are gone; a group still busy (its last
        processes being reaped) is left, and taken again by the next shell of its slot."""
        with contextlib.suppress(OSError):
            self.path.rmdir()


class MemoryGroups:
    """A server's groups (for its shells, for its runs), under ``<hierarchy>/<name>/``."""

    def __init__(self, name: str) -> None:
        self.base: Path | None = None
        self.files = _V1
        v2 = ROOT / "cgroup.controllers"
        try:
            if v2.exists() and "memory" in v2.read_text().split():
                base = ROOT / name
                base.mkdir(exist_ok=True)
                (base / "cgroup.subtree_control").write_text("+memory")
                self.base, self.files = base, _V2
            elif (ROOT / "memory" / "memory.limit_in_bytes").exists():
                base = ROOT / "memory" / name
                base.mkdir(exist_ok=True)
                self.base, self.files = base, _V1
        except OSError as exc:
            log.warning("memory_cgroup_unavailable", name=name, error=str(exc))
            self.base = None
        if self.base is None:
            log.warning("memory_cgroup_missing", name=name,
                        detail="processes are capped one by one only (docs/runner.md)")

    @property
    def available(self) -> bool:
        return self.base is not None

    def create(self, key: str, limit_bytes: int) -> MemoryGroup | None:
        """The group ``key`` (one a slot: made once, its cap set again each time) with its
        cap; None where groups are unavailable."""
        if self.base is None:
            return None
        group = MemoryGroup(self.base / key, self.files, limit_bytes)
        try:
            # parents: another server of the same name may have removed the base meanwhile
            group.path.mkdir(parents=True, exist_ok=True)
            self._set_limit(group.path, limit_bytes)
        except OSError as exc:
            log.warning("memory_cgroup_failed", group=str(group.path), error=str(exc))
            return None
        return group

    def _set_limit(self, path: Path, limit: int) -> None:
        """The group's cap, swap included; OSError when the kernel did not take it."""
        memory, swap = path / self.files.limit, self.files.swap_limit
        if self.files is _V2:
            memory.write_text(str(limit))
            if swap is not None:
                with contextlib.suppress(OSError):  # no swap controller: no swap to count
                    (path / swap).write_text("0")
            return
        # v1 counts memory and swap together in memsw, which may never be below the memory
        # limit: raising, memsw goes first; lowering, last. Without swap accounting there is
        # no memsw file, and no swap to count.
        assert swap is not None
        for name in (swap, self.files.limit, swap):
            with contextlib.suppress(OSError):
                (path / name).write_text(str(limit))
        if int(memory.read_text()) != limit:
            raise OSError(f"{memory} did not take {limit}")

    def close(self) -> None:
        """Delete the groups that are empty, then the server's own (at shutdown)."""
        if self.base is None:
            return
        with contextlib.suppress(OSError):
            for child in self.base.iterdir():
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            self.base.rmdir()

