"""Reading and writing a shell's ``/workspace`` from the host, without trusting anything in it.

The server (root) reaches the workspace through ``/proc/<pid>/root/workspace``. Whatever is
inside was made by the candidate's shell, so every step refuses what could lead outside:

- a symbolic link is never followed: each path component is opened relative to its parent's
  descriptor with ``O_NOFOLLOW`` (an absolute link would otherwise resolve against the
  *server's* root, and ``/etc/shadow`` would flow into the tree);
- only regular files are read, opened ``O_NONBLOCK`` and checked with ``fstat`` (a FIFO or a
  device would block or worse);
- a walk stops after ``max_entries`` entries and ``max_depth`` levels (a million empty files
  cost the scan nothing more than that);
- a file past ``max_bytes`` is not read: it stays in the sandbox, reported as oversized.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


@contextlib.contextmanager
def _as_uid(uid: int | None) -> Iterator[None]:
    """File system operations of this thread as ``uid`` (``setfsuid``, per thread).

    The workspace is a tmpfs mounted in the shell's user namespace, which maps only the
    shell's uid: a file made there by the host's root (unmapped) fails with EOVERFLOW. Made
    as the shell's uid, it is the shell's own. No await may fall inside this block."""
    if uid is None or os.geteuid() != 0:
        yield
        return
    _libc.setfsgid(uid)
    _libc.setfsuid(uid)
    try:
        yield
    finally:
        _libc.setfsuid(0)
        _libc.setfsgid(0)


#: Folders whose files never go to the tree (a repository's own data, caches).
SKIPPED_DIRS = frozenset({".git", "__pycache__", "node_modules", ".pytest_cache", ".mypy_cache"})


@dataclass(frozen=True, slots=True)
class Entry:
    """A regular file of the workspace as the last scan saw it."""

    mtime_ns: int
    size: int
    inode: int


class Workspace:
    """One shell's ``/workspace`` as a host path (``/proc/<pid>/root/workspace``)."""

    def __init__(self, root: str, *, uid: int | None, max_entries: int = 5000,
                 max_depth: int = 16) -> None:
        self.root = root
        self.uid = uid
        self.max_entries = max_entries
        self.max_depth = max_depth

    # --- scanning -------------------------------------------------------------------------

    def scan(self) -> dict[str, Entry]:
        """Every regular file (relative path -> size and times), links and specials left out."""
        found: dict[str, Entry] = {}
        root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            budget = [self.max_entries]
            for path, entry in self._walk(root_fd, "", 0, budget):
                found[path] = entry
        finally:
            os.close(root_fd)
        return found

    def _walk(self, dir_fd: int, prefix: str, depth: int,
              budget: list[int]) -> Iterator[tuple[str, Entry]]:
        with os.scandir(dir_fd) as it:
            entries = list(it)
        for item in entries:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            path = f"{prefix}{item.name}"
            if stat.S_ISREG(st.st_mode):
                yield path, Entry(st.st_mtime_ns, st.st_size, st.st_ino)
            elif stat.S_ISDIR(st.st_mode) and depth < self.max_depth:
                if item.name in SKIPPED_DIRS:
                    continue
                try:
                    child = os.open(item.name, _DIR_FLAGS, dir_fd=dir_fd)
                except OSError:
                    continue
                try:
                    yield from self._walk(child, f"{path}/", depth + 1, budget)
                finally:
                    os.close(child)

    # --- files ----------------------------------------------------------------------------

    def read(self, path: str, max_bytes: int) -> bytes | None:
        """The content of regular file ``path``, or None (gone, not regular, a link on the
        way, or over ``max_bytes``)."""
        try:
            with self._parent(path, create=False) as parent:
                fd = os.open(path.rsplit("/", 1)[-1], _FILE_FLAGS, dir_fd=parent)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
                return None
            data = os.read(fd, max_bytes + 1)
            return data if len(data) <= max_bytes else None
        except OSError:
            return None
        finally:
            os.close(fd)

    def write(self, path: str, data: bytes) -> Entry | None:
        """Write ``data`` to ``path`` (folders made as needed), owned by the shell's uid.

        A link or a non-folder on the way refuses the write (None); a file in the way is
        replaced (written to a new name, then renamed over it)."""
        name = path.rsplit("/", 1)[-1]
        temp = f".{name}.codepair-sync"
        try:
            with _as_uid(self.uid), self._parent(path, create=True) as parent:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o644, dir_fd=parent)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fchmod(fd, 0o644)
                finally:
                    os.close(fd)
                os.rename(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
                st = os.stat(name, dir_fd=parent, follow_symlinks=False)
                return Entry(st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return None

    def delete(self, path: str) -> None:
        """Remove regular file ``path`` if it is there (a link on the way: nothing happens)."""
        with (contextlib.suppress(OSError), _as_uid(self.uid),
              self._parent(path, create=False) as parent):
            os.unlink(path.rsplit("/", 1)[-1], dir_fd=parent)

    @contextlib.contextmanager
    def _parent(self, path: str, *, create: bool) -> Iterator[int]:
        """The folder holding ``path``, opened one component at a time without links."""
        parts = path.split("/")[:-1]
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for part in parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=fd)
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)
