"""The room's tree and the shell's ``/workspace``, kept the same both ways.

- **Tree to workspace**: every ``tree_interval`` (0.1 s) the code document's state vector is
  compared with the last one seen (a few bytes); when it moved, the tree is read and each file
  whose text differs from what both sides last agreed on is written (a file gone from the
  tree is removed). An edit reaches ``/workspace`` within 0.1 s plus a write.
- **Workspace to tree**: every ``scan_interval`` (0.3 s) the workspace is walked (no links
  followed, see :mod:`codepair.runner.workspace`); a regular file whose size or time changed
  is read, and when it is UTF-8 text without NUL bytes, within the projects' caps and at a
  valid path, it goes into the tree as ONE server-made update (author ``terminal``) for all
  the files of that scan. A text file deleted by a command leaves the tree too (the entry file
  is kept: the editor's tab stays). Binary and oversized files stay in the sandbox and are
  listed in :attr:`TreeSync.kept_out`.
- When both sides changed one file between two looks, the tree wins: the editor is where
  people type, and the shell's version was made from the older text.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from pycrdt import Doc, Map, Text

from codepair.domain.projects.tree import (
    TreeCaps,
    TreeError,
    check_files,
    check_path,
    read_tree,
)
from codepair.runner.workspace import Entry, Workspace

log = structlog.get_logger("codepair.terminal")

AUTHOR = "terminal"

Change = Callable[[Callable[[Doc[Any]], None]], Awaitable[None]]


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _text(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 without NUL bytes (what a source file is)."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class TreeSync:
    """Keeps one shell's workspace and its room's ``code`` document the same."""

    def __init__(
        self,
        doc: Doc[Any],
        workspace: Workspace,
        change: Change,
        caps: TreeCaps,
        *,
        tree_interval: float = 0.1,
        scan_interval: float = 0.3,
    ) -> None:
        self.doc = doc
        self.workspace = workspace
        self._change = change
        self.caps = caps
        self.tree_interval = tree_interval
        self.scan_interval = scan_interval
        self._agreed: dict[str, bytes] = {}  # path -> digest both sides hold
        self._seen: dict[str, Entry] = {}  # path -> the workspace file as last scanned
        self._state = b""
        self.kept_out: dict[str, str] = {}  # path -> why it stays in the sandbox
        self._task: asyncio.Task[None] | None = None

    def write_tree(self) -> None:
        """Put the tree into the workspace (first, before the shell starts; then on changes)."""
        state = self.doc.get_state()
        if state == self._state:
            return
        self._state = state
        tree = read_tree(self.doc)
        for path, text in tree.files.items():
            data = text.encode("utf-8", "surrogatepass")
            digest = _digest(data)
            if self._agreed.get(path) == digest:
                continue
            entry = self.workspace.write(path, data)
            if entry is not None:
                self._agreed[path] = digest
                self._seen[path] = entry
        for path in [p for p in self._agreed if p not in tree.files]:
            self.workspace.delete(path)  # gone from the tree: gone from the workspace
            self._agreed.pop(path, None)
            self._seen.pop(path, None)

    async def scan(self) -> None:
        """Bring what commands changed in the workspace into the tree."""
        found = self.workspace.scan()
        changed: dict[str, str] = {}
        for path, entry in found.items():
            if self._seen.get(path) == entry or path.rsplit("/", 1)[-1].endswith(
                ".codepair-sync"
            ):
                continue
            self._seen[path] = entry
            if entry.size > self.caps.max_file_bytes:
                self.kept_out[path] = "over the size cap"
                continue
            data = self.workspace.read(path, self.caps.max_file_bytes)
            if data is None:
                continue
            digest = _digest(data)
            if self._agreed.get(path) == digest:
                continue
            text = _text(data)
            if text is None:
                self.kept_out[path] = "binary"
                continue
            try:
                check_path(path)
            except TreeError as exc:
                self.kept_out[path] = str(exc)
                continue
            self.kept_out.pop(path, None)
            changed[path] = text
        gone = [p for p in self._seen if p not in found]
        for path in gone:
            del self._seen[path]
            self.kept_out.pop(path, None)
        deleted = [p for p in gone if p in self._agreed]
        if not changed and not deleted:
            return
        await self._apply(changed, deleted)

    async def _apply(self, changed: Mapping[str, str], deleted: list[str]) -> None:
        tree = read_tree(self.doc)
        files = dict(tree.files)
        accepted: dict[str, str] = {}
        for path, text in changed.items():
            trial = {**files, path: text}
            try:  # the caps of the whole tree: a file that would pass them stays out
                check_files(trial, self.caps)
            except TreeError as exc:
                self.kept_out[path] = str(exc)
                continue
            files = trial
            accepted[path] = text
        removed = [p for p in deleted if p != tree.entry and p in files]

        if not accepted and not removed:
            return

        def mutate(doc: Doc[Any]) -> None:
            code = doc.get("code", type=Text)
            tree_map = doc.get("files", type=Map)
            for path, text in accepted.items():
                if path == tree.entry:
                    if str(code) != text:
                        del code[:]
                        code += text
                else:
                    tree_map[path] = Text(text)
            for path in removed:
                if path in tree_map:
                    del tree_map[path]

        await self._change(mutate)
        for path, text in accepted.items():
            self._agreed[path] = _digest(text.encode("utf-8", "surrogatepass"))
        for path in removed:
            self._agreed.pop(path, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="terminal-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        every = max(1, round(self.scan_interval / self.tree_interval))
        tick = 0
        while True:
            await asyncio.sleep(self.tree_interval)
            tick += 1
            try:
                self.write_tree()
                if tick % every == 0:
                    await self.scan()
            except FileNotFoundError:
                return  # the shell has gone, and its workspace with it
            except Exception as exc:
                log.warning("terminal_sync_failed", error=type(exc).__name__, exc_info=exc)
