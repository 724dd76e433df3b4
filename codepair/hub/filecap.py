"""The per-file cap of a project's tree (1 MiB a file, docs/projects.md), kept by the hub.

A keystroke into a file names its ``Y.Text`` by the id of a neighbouring character, not by
path: which file an update grows is known only once it is applied. An update cannot be
taken back once applied (the sender and the others would diverge), so the check must come
first, and it must cost next to nothing per keystroke.

**Far from the cap: one addition.** No text can grow by more than the update's own bytes (a
string item is its UTF-8 bytes and more). So the sizes of the files measured once, plus every
byte applied since, bound every file: while the largest file plus that sum plus the update
stays under the cap, nothing more is done.

**Near it: a copy.** Once the bound would pass the cap, the files are measured again (about
4 us a file). When one is still near the cap, the hub keeps a copy of the document (a second
``Doc``, fed every update the room applies) and applies an update to the copy first: the files
whose bound could pass the cap (usually one) are measured in the copy after it, and an
update that grew one of them past the cap (longer than in the room's document) is refused,
never applied to the room's document. A refusal spoils the copy (it holds what the room does
not) and it is made again at the next check; the copy is dropped once no file is near the
cap. The entry file (``Y.Text`` ``code``) is a file of the tree, bound by the same cap.

A file already over the cap (grown on two instances at once, or an older room) may shrink;
only an update that grows a file past the cap is refused.

What this does not see: content Yrs holds pending (an update whose dependencies have not
arrived) is counted when it arrives, but a new measurement cannot see it, so a crafted
out-of-order pair may put a file past the cap by up to what was pending; the document's own
cap (doccaps.py) still bounds it.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from codepair.hub.yframes import ProtocolError

#: The entry file's key among the sizes (no path of the tree is empty).
ENTRY = ""
#: A file this close to the cap (a fraction of it) keeps the copy of the document.
NEAR_FRACTION = 16


class FileCap:
    """The per-file cap of one live ``code`` document."""

    __slots__ = (
        "_near", "_shadow", "_since", "_sizes", "_top", "_top_far", "margin", "max_bytes",
    )

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.margin = max(1, max_bytes // NEAR_FRACTION)
        # Sizes when last measured, written so that ``size + _since`` bounds each file now.
        self._sizes: dict[str, int] = {}
        # The largest of them. Nothing is measured until a client's first update (the log is
        # loaded by then): it finds the bound at the cap and measures.
        self._top = max_bytes
        # The files within two margins of the cap when measured, and the largest of the
        # others: between two measurements (at most a margin applied) with an update of at
        # most a margin, only those can pass the cap, and the others' sizes do not change.
        self._near: list[str] = []
        self._top_far = 0
        self._since = 0  # bytes applied since the last measurement
        self._shadow: Doc[Any] | None = None

    @property
    def near(self) -> bool:
        """Whether a copy of the document is kept (a file is near the cap)."""
        return self._shadow is not None

    def refuse(self, doc: Doc[Any], update: bytes) -> str | None:
        """Why ``update`` would take a file past the cap, or None. When None, the caller
        applies it (or calls :meth:`drop_copy` when it refuses it for another reason)."""
        n = len(update)
        since = self._since + n
        if self._top + since <= self.max_bytes:  # far from the cap
            self._since = since
            if self._shadow is not None:
                self._feed(self._shadow, update)
            return None
        return self._check(doc, update, n)

    def grew(self, update: bytes) -> None:
        """An update applied without :meth:`refuse` (another instance's, the server's)."""
        self._since += len(update)
        if self._shadow is not None:
            try:
                self._feed(self._shadow, update)
            except ProtocolError:
                self._shadow = None

    def drop_copy(self) -> None:
        """The update just fed to the copy was not applied to the document after all."""
        self._shadow = None

    def _check(self, doc: Doc[Any], update: bytes, n: int) -> str | None:
        cap, sizes = self.max_bytes, self._sizes
        if self._shadow is None or self._since > self.margin:
            self._measure(doc)
            if self._top + self.margin <= cap:
                self._shadow = None  # no file near the cap: no copy to keep
            if self._top + n <= cap:
                self._since = n
                if self._shadow is not None:
                    self._feed(self._shadow, update)
                return None
            sizes = self._sizes
        if self._shadow is None:  # once a stretch near the cap, and after a refusal
            self._shadow = Doc()
            self._shadow.apply_update(doc.get_update())
        shadow = self._shadow
        bound = self._since + n
        # The files this update could take past the cap: of the near ones for a keystroke;
        # of them all for a larger update; any file, a new one too, when the update alone
        # could (a paste of a whole file).
        paths: list[str] | None
        if bound > cap:
            paths = None
        else:
            among = self._near if n <= self.margin else sizes
            paths = [path for path in among if sizes[path] + bound > cap]
        self._feed(shadow, update)
        after = _lengths(shadow, paths)
        over = [path for path, size in after.items() if size > cap]
        if over:  # grown past the cap by this update, or over it before (it may shrink)?
            before = _lengths(doc, over)  # the room's document does not hold the update
            for path in over:
                if after[path] > before[path]:
                    self._shadow = None  # it holds what the document will not
                    return f"{_name(doc, path)}: a file holds at most {cap} bytes"
        self._since = bound
        for path, size in after.items():
            sizes[path] = size - bound
        if paths is None or n > self.margin:
            self._index()
        else:
            self._top = max([self._top_far, *(sizes[path] for path in self._near)])
        return None

    def _measure(self, doc: Doc[Any]) -> None:
        self._sizes = _lengths(doc, None)
        self._since = 0
        self._index()

    def _index(self) -> None:
        line = self.max_bytes - 2 * self.margin
        self._near = [path for path, size in self._sizes.items() if size > line]
        self._top_far = max((s for s in self._sizes.values() if s <= line), default=0)
        self._top = max([self._top_far, *(self._sizes[path] for path in self._near)])

    def _feed(self, shadow: Doc[Any], update: bytes) -> None:
        try:
            shadow.apply_update(update)
        except Exception as exc:  # pycrdt raises ValueError; be safe with Rust panics too
            self._shadow = None
            raise ProtocolError("bad update") from exc


def _lengths(doc: Doc[Any], paths: list[str] | None) -> dict[str, int]:
    """The UTF-8 length of each file named (of every file, for None); a missing one is 0.
    One transaction for them all: pycrdt opens one per call otherwise."""
    with doc.transaction():
        files = doc.get("files", type=Map)
        if paths is None:
            found = {path: len(text) for path, text in files.items() if isinstance(text, Text)}
            found[ENTRY] = len(doc.get("code", type=Text))
            return found
        sizes: dict[str, int] = {}
        for path in paths:
            text = doc.get("code", type=Text) if path == ENTRY else files.get(path)
            sizes[path] = len(text) if isinstance(text, Text) else 0
        return sizes


def _name(doc: Doc[Any], path: str) -> str:
    if path != ENTRY:
        return path
    entry = doc.get("meta", type=Map).get("entry")
    return entry if isinstance(entry, str) else "the entry file"
