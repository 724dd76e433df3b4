"""The room's files as one language server knows them.

Two copies are kept in step with the ``code`` document: the files on disk in a folder of the
session's (read-only at ``/workspace`` inside the server's sandbox, for what the server reads
by itself: configuration, files it does not open), and the documents opened in the server
(``didOpen`` once, then ``didChange`` with the whole text, ``didClose`` when a file goes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from codepair.domain.intellisense import messages as m
from codepair.domain.projects.tree import Tree

log = structlog.get_logger("codepair.lsp")

Send = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class _Opened:
    version: int
    text: str
    language_id: str | None  # None: on disk only (not a file this server reads)


class WorkspaceMirror:
    """A folder under ``root`` and the server's open documents, fed from the tree."""

    def __init__(self, root: Path, prefix: str, language_id: Callable[[str], str | None],
                 room_id: str) -> None:
        root.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=root))
        os.chmod(self.folder, 0o755)
        self.language_id = language_id
        self.room_id = room_id
        self._opened: dict[str, _Opened] = {}

    def serves(self, path: str | None) -> bool:
        """Whether ``path`` is a document the server has open (requests may name it)."""
        opened = self._opened.get(path) if path is not None else None
        return opened is not None and opened.language_id is not None

    def lay_out(self, tree: Tree | None) -> None:
        """The tree on disk before a server starts (it indexes what it finds); nothing open."""
        self._opened.clear()
        for child in self.folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        if tree is not None:
            for path, text in tree.files.items():
                self._write(path, text)

    def sync(self, tree: Tree, send: Send) -> list[str]:
        """Bring the disk and the server's documents to ``tree``; the URIs of files gone."""
        for path, text in tree.files.items():
            opened = self._opened.get(path)
            if opened is not None and opened.text == text:
                continue
            self._write(path, text)
            if opened is None:
                language_id = self.language_id(path)
                self._opened[path] = _Opened(1, text, language_id)
                if language_id is not None:
                    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                        "textDocument": {"uri": m.uri_of(path), "languageId": language_id,
                                         "version": 1, "text": text}}})
                continue
            opened.version += 1
            opened.text = text
            if opened.language_id is not None:
                send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": m.uri_of(path), "version": opened.version},
                    "contentChanges": [{"text": text}]}})
        gone = []
        for path in [p for p in self._opened if p not in tree.files]:
            closed = self._opened.pop(path)
            with contextlib.suppress(OSError):
                (self.folder / path).unlink()
            uri = m.uri_of(path)
            if closed.language_id is not None:
                send({"jsonrpc": "2.0", "method": "textDocument/didClose",
                      "params": {"textDocument": {"uri": uri}}})
            gone.append(uri)
        return gone

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _write(self, path: str, text: str) -> None:
        # ``path`` passed check_path (read_tree): relative, no '..', no empty segment.
        target = self.folder / path
        try:
            folder = target.parent
            if not folder.is_dir():
                folder.mkdir(mode=0o755, parents=True, exist_ok=True)
            _overwrite(target, text.encode("utf-8", errors="surrogatepass"))
        except OSError as exc:  # a file where a folder is wanted, mid-rename: next sync fixes
            log.info("lsp_write_failed", room=self.room_id, error=type(exc).__name__)


def _overwrite(target: Path, data: bytes) -> None:
    """Write ``data`` over ``target`` in place, then cut it to length.

    Not ``open(..., "w")``: on ext4 a file truncated to zero and written again has its
    blocks allocated and its writeback started at close (``auto_da_alloc``), 1 to 2.5 ms on
    these machines against about 0.1 ms in place, and the session writes on the event loop,
    once per edited file per sync (bench/lsp_latency.py). The folder is read-only inside the
    sandbox, so nothing but the session makes a link there."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(data))
        os.fchmod(fd, 0o644)  # readable by the server's sandbox uid whatever the umask
    finally:
        os.close(fd)
