"""The caps of a room's documents: one small class per document kind.

Every document has a size cap: an update that would take the document's encoded state over
it is refused before it is applied (never relayed, never logged) and its socket closed with
4413. Kinds add caps of their own by overriding two hooks (the board's element cap,
boardcap.py; the path rules, the file count and the per-file size of the code's tree,
below and filecap.py). The hub picks the class (``guard_for`` in hub.py); the room
calls the same three methods for every kind, so the keystroke path has no branch per kind.

**Size, cheaply.** Encoding the state to measure it costs about 2 ms a MiB, far too much per
keystroke. So the size is an estimate: the last measured state plus every byte applied since,
whichever instance received it (updates from other instances count too, :meth:`grew`). Far
from the cap an update costs two additions. When the estimate would pass the cap the state
is measured again, but only once ``max_bytes / 64`` has been applied since the last
measurement: below that the update is refused on the estimate. A document kept just under
its cap can so never make every keystroke re-encode it; the price is that an update may be
refused up to that slack (128 KiB of the code's 8 MiB) before the exact cap.

The estimate can also run behind: a delete that splits many items grows the state by more
than its own bytes. What passes the cap that way is one frame at most (2 MiB), and the next
measurement catches it.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from codepair.domain.projects.tree import TreeError, check_path
from codepair.hub.filecap import FileCap
from codepair.hub.yupdate import scan_update

# Measure again only once this fraction of the cap was applied since the last measurement.
SLACK_FRACTION = 64


class DocGuard:
    """The size cap of one live document (the ``notes`` use it as it is)."""

    __slots__ = ("_estimate", "_unmeasured", "max_bytes", "slack")

    refusal = "the document is over its size cap"

    def __init__(self, doc: Doc[Any], *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.slack = max(1, max_bytes // SLACK_FRACTION)
        self._estimate = 0
        self._unmeasured = 0  # bytes applied since the last measurement

    def measure(self, doc: Doc[Any]) -> int:
        """Encode the state again: the exact size, from which the estimate restarts."""
        self._estimate = len(doc.get_update())
        self._unmeasured = 0
        return self._estimate

    def admit(self, doc: Doc[Any], update_bytes: int) -> bool:
        """May an update of this many bytes be applied? (False: the document is full.)"""
        if self._estimate + update_bytes > self.max_bytes and (
            self._unmeasured < self.slack or self.measure(doc) + update_bytes > self.max_bytes
        ):
            self.not_admitted()
            return False
        self._estimate += update_bytes
        self._unmeasured += update_bytes
        return True

    def grew(self, update: bytes) -> None:
        """An update applied without :meth:`admit`: from another instance (which capped it),
        or made by the server."""
        self._estimate += len(update)
        self._unmeasured += len(update)

    def refuse(self, doc: Doc[Any], update: bytes) -> str | None:
        """Why ``update`` breaks a rule of this kind before it is applied, or None."""
        return None

    def not_admitted(self) -> None:
        """The update that :meth:`refuse` passed is refused by :meth:`admit` after all."""

    def before_apply(self) -> None:
        """Called just before an admitted update is applied (kinds that observe it)."""

    def trim(self, doc: Doc[Any], origin: str) -> bytes | None:
        """After an admitted update: the server's own update that brings the document back
        within the caps of its kind, if one is needed (an applied update cannot be refused
        without the sender and the others diverging)."""
        return None


#: How an update names the root map ``files``: a root parent is written as its name, a
#: varint length and the bytes. A keystroke into a file names its ``Y.Text`` by id instead,
#: so only updates that set a path in ``files`` hold this.
FILES_ROOT = b"files"
_FILES_ROOT_NAME = bytes([len(FILES_ROOT)]) + FILES_ROOT


class CodeGuard(DocGuard):
    """The ``code`` document: its size (8 MiB, as a project's whole tree in DESIGN.md), the
    path rules of its ``files`` map and how many files it holds (docs/projects.md).

    An update that sets a path in ``files`` is read before it is applied (yupdate.py): a path
    that breaks the rules, or one new file too many, refuses the whole update. An update that
    would take a file (the entry too) past its own cap is refused as well (filecap.py).
    """

    __slots__ = ("files", "max_files")

    refusal = "the code is over its size cap"

    def __init__(
        self, doc: Doc[Any], *, max_bytes: int, max_files: int = 500,
        max_file_bytes: int = 1024 * 1024,
    ) -> None:
        super().__init__(doc, max_bytes=max_bytes)
        self.max_files = max_files
        self.files = FileCap(max_file_bytes)

    def grew(self, update: bytes) -> None:
        super().grew(update)
        self.files.grew(update)

    def not_admitted(self) -> None:
        self.files.drop_copy()  # it was fed the update the document will not take

    def refuse(self, doc: Doc[Any], update: bytes) -> str | None:
        if _FILES_ROOT_NAME in update:
            refusal = self._refuse_paths(doc, update)
            if refusal is not None:
                return refusal
        return self.files.refuse(doc, update)

    def _refuse_paths(self, doc: Doc[Any], update: bytes) -> str | None:
        files = doc.get("files", type=Map)
        new: set[str] = set()
        for raw in scan_update(update, keys_of=FILES_ROOT):
            try:
                path = check_path(raw.decode("utf-8"))
            except UnicodeDecodeError:
                return "a file's path must be valid Unicode"
            except TreeError as exc:
                return str(exc)
            if path not in files:
                new.add(path)
        if new and len(files) + len(new) > self.max_files:
            return f"a project holds at most {self.max_files} files"
        return None


class NotesGuard(DocGuard):
    """The interviewers' ``notes``: their size only."""

    __slots__ = ()

    refusal = "the notes are over their size cap"

