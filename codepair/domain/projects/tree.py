"""A room's project tree as the ``code`` document holds it, and the rules every path obeys.

The entry file is the ``Y.Text`` named ``code`` (so single-file rooms, old clients, the
history and the replay keep working unchanged); its path is ``meta.entry``, by default the
language's usual name. Every other file is a ``Y.Text`` in the ``Y.Map`` named ``files``,
keyed by its path (docs/projects.md, ADR 10).

Paths are relative POSIX paths: no leading ``/``, no ``.`` or ``..`` segment, no empty
segment, no backslash, no control character, at most 255 bytes in UTF-8. The caps bound what
a tree may hold; the hub refuses an update that would break a rule or a cap before it is
applied (docs/hub.md), and everything that writes a tree (presenting a project question, a
zip) checks the same rules here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, Text

MAX_PATH_BYTES = 255

#: The entry file's path when ``meta.entry`` is not set: each language's usual name.
DEFAULT_ENTRY = {
    "python": "main.py",
    "javascript": "main.js",
    "typescript": "main.ts",
    "java": "Main.java",
    "go": "main.go",
    "c": "main.c",
    "cpp": "main.cpp",
    "rust": "main.rs",
    "shell": "main.sh",
}


class TreeError(ValueError):
    """A path or a tree that breaks the rules or the caps; the message says which, for people."""


@dataclass(frozen=True, slots=True)
class TreeCaps:
    """How much one tree may hold (``CODEPAIR_PROJECT_*``)."""

    max_files: int = 500
    max_file_bytes: int = 1024 * 1024
    max_tree_bytes: int = 8 * 1024 * 1024


def check_path(path: object) -> str:
    """``path`` when it is a valid project path; :class:`TreeError` saying why when not."""
    if not isinstance(path, str):
        raise TreeError("a file's path must be a string")
    if not path:
        raise TreeError("a file's path must not be empty")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise TreeError(f"a file's path must be at most {MAX_PATH_BYTES} bytes")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        raise TreeError("a file's path must not hold control characters")
    if "\\" in path:
        raise TreeError("a file's path uses '/' between folders, not '\\'")
    if path.startswith("/"):
        raise TreeError("a file's path is relative to the project (no leading '/')")
    for segment in path.split("/"):
        if segment == "":
            raise TreeError(
                "a file's path must not have an empty folder name ('//' or a '/' at the end)"
            )
        if segment in (".", ".."):
            raise TreeError("a file's path must not hold '.' or '..'")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TreeError("a file's path must be valid Unicode") from exc
    return path


def default_entry(language: str | None) -> str:
    """The entry file's path for a language when ``meta.entry`` is not set."""
    return DEFAULT_ENTRY.get(language or "", "main.txt")


@dataclass(slots=True)
class Tree:
    """A project as plain text: the entry file's path and every file's text, entry included."""

    entry: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Bytes of text in the tree (UTF-8)."""
        return sum(len(text.encode("utf-8", "surrogatepass")) for text in self.files.values())

    def check(self, caps: TreeCaps) -> Tree:
        """The tree when every path is valid and it is within ``caps``; else :class:`TreeError`."""
        check_path(self.entry)
        check_files(self.files, caps)
        return self


def check_files(files: Mapping[str, str], caps: TreeCaps) -> None:
    """:class:`TreeError` unless every path of ``files`` is valid and they fit ``caps``."""
    if len(files) > caps.max_files:
        raise TreeError(f"a project holds at most {caps.max_files} files")
    total = 0
    for path, text in files.items():
        check_path(path)
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > caps.max_file_bytes:
            raise TreeError(f"{path}: a file holds at most {caps.max_file_bytes} bytes")
        total += size
    if total > caps.max_tree_bytes:
        raise TreeError(f"a project holds at most {caps.max_tree_bytes} bytes in all")
    folders = {path.rsplit("/", 1)[0] for path in files if "/" in path}
    prefixes = {"/".join(f.split("/")[: i + 1]) for f in folders for i in range(f.count("/") + 1)}
    clash = sorted(prefixes & files.keys())
    if clash:
        raise TreeError(f"{clash[0]} is both a file and a folder")


def read_tree(doc: Doc[Any], language: str | None = None) -> Tree:
    """The tree a ``code`` document holds: its entry file (``code``) and the ``files`` map.

    A key of ``files`` that is not a valid path, or that names the entry file, is left out:
    the hub never lets one in, and a reader must not trust an older log blindly.
    """
    meta = doc.get("meta", type=Map)
    lang = meta.get("language")
    entry = meta.get("entry")
    if not isinstance(entry, str):
        entry = default_entry(lang if isinstance(lang, str) else language)
    try:
        check_path(entry)
    except TreeError:
        entry = default_entry(lang if isinstance(lang, str) else language)
    files = {entry: str(doc.get("code", type=Text))}
    for path, value in doc.get("files", type=Map).items():
        if path == entry or not isinstance(value, Text):
            continue
        try:
            check_path(path)
        except TreeError:
            continue
        files[path] = str(value)
    return Tree(entry, dict(sorted(files.items())))


def write_tree(doc: Doc[Any], files: Mapping[str, str], entry: str) -> None:
    """Put ``files`` into a ``code`` document as one transaction: ``entry``'s text into
    ``code`` (and ``meta.entry``), every other file into ``files``, replacing what was there
    (a question's starter tree being presented). The caller has checked the tree. The entry is
    always given: a document that never loaded may not hold its language yet, so a default
    worked out here could name another file than the room's readers do."""
    meta = doc.get("meta", type=Map)
    code = doc.get("code", type=Text)
    tree = doc.get("files", type=Map)
    with doc.transaction():
        meta["entry"] = entry
        del code[:]
        code += files.get(entry, "")
        for path in list(tree.keys()):
            if path not in files or path == entry:
                del tree[path]
        for path, text in files.items():
            if path != entry:
                tree[path] = Text(text)
