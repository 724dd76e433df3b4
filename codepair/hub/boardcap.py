"""The caps of a room's ``board`` document: its size and how many elements it holds.

The board is a ``Y.Map`` named ``elements``: Excalidraw element id -> the element as JSON
(docs/whiteboard.md). Frames and message rates are capped for every document by the hub; the
board adds two caps of its own, because a drawing grows in ways typing does not (a pasted
diagram is thousands of elements in one frame).

- **Size** (``board_max_bytes``): as every document's (doccaps.py), an update that would take
  the document's encoded state over the cap is refused before it is applied, and its socket
  closed with 4413; a board far from its cap costs nothing.
- **Elements** (``board_max_elements``): a CRDT update cannot be refused after the fact
  without the sender and the others diverging, and which keys an update adds is only known
  once it is applied. So the update is applied, and the keys it added beyond the cap are
  deleted again at once by the server, as an update of its own that every client (the sender
  too) receives and the log keeps. The web client checks the same cap before it writes.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, MapEvent

from codepair.hub.doccaps import DocGuard

ELEMENTS = "elements"


class BoardGuard(DocGuard):
    """Size and element caps of one live ``board`` document."""

    __slots__ = ("_added", "_elements", "_subscription", "max_elements")

    refusal = "the board is full"

    def __init__(self, doc: Doc[Any], *, max_bytes: int, max_elements: int) -> None:
        super().__init__(doc, max_bytes=max_bytes)
        self.max_elements = max_elements
        self._elements: Map[Any] = doc.get(ELEMENTS, type=Map)
        self._added: list[str] = []
        self._subscription = self._elements.observe(self._on_change)

    def before_apply(self) -> None:
        self.start_update()

    def trim(self, doc: Doc[Any], origin: str) -> bytes | None:
        """Delete what the last update added beyond the element cap, for everyone."""
        excess = self.excess()
        return self.delete(doc, excess, origin) if excess else None

    def start_update(self) -> None:
        self._added.clear()

    def excess(self) -> list[str]:
        """Keys the last update added beyond the element cap, newest last (to delete)."""
        over = len(self._elements) - self.max_elements
        if over <= 0 or not self._added:
            return []
        return self._added[-over:]

    def delete(self, doc: Doc[Any], keys: list[str], origin: str) -> bytes:
        """Delete ``keys`` from the board as the server; the update to relay and log."""
        before = doc.get_state()
        with doc.transaction(origin=origin):
            for key in keys:
                if key in self._elements:
                    del self._elements[key]
        self._added.clear()
        return doc.get_update(before)

    def _on_change(self, event: MapEvent) -> None:
        keys: dict[str, dict[str, Any]] = event.keys  # type: ignore[attr-defined]
        for key, change in keys.items():
            if change.get("action") == "add":
                self._added.append(key)
