"""The caps of a room's ``board`` document: its size and how many elements it holds.

The board is a ``Y.Map`` named ``elements``: Excalidraw element id -> the element as JSON
(docs/whiteboard.md). Frames and message rates are capped for every document by the hub; the
board adds two caps of its own, because a drawing grows in ways typing does not (a pasted
diagram is thousands of elements in one frame).

- **Size** (``board_max_bytes``): an update that would take the document's encoded state over
  the cap is refused before it is applied, and its socket closed with 4413. The size is
  tracked as the last measured state plus the bytes received since; only when that estimate
  passes the cap is the state encoded again, so a board far from its cap costs nothing.
- **Elements** (``board_max_elements``): a CRDT update cannot be refused after the fact
  without the sender and the others diverging, and which keys an update adds is only known
  once it is applied. So the update is applied, and the keys it added beyond the cap are
  deleted again at once by the server, as an update of its own that every client (the sender
  too) receives and the log keeps. The web client checks the same cap before it writes.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, MapEvent

ELEMENTS = "elements"


class BoardGuard:
    """Size and element caps of one live ``board`` document."""

    __slots__ = ("_added", "_elements", "_estimate", "_subscription", "max_bytes", "max_elements")

    def __init__(self, doc: Doc[Any], *, max_bytes: int, max_elements: int) -> None:
        self.max_bytes = max_bytes
        self.max_elements = max_elements
        self._elements: Map[Any] = doc.get(ELEMENTS, type=Map)
        self._added: list[str] = []
        self._estimate = 0
        self._subscription = self._elements.observe(self._on_change)

    def measure(self, doc: Doc[Any]) -> int:
        """Encode the state again: the exact size, from which the estimate restarts."""
        self._estimate = len(doc.get_update())
        return self._estimate

    def admit(self, doc: Doc[Any], update_bytes: int) -> bool:
        """May an update of this many bytes be applied? (False: the board is full.)"""
        if self._estimate + update_bytes <= self.max_bytes:
            self._estimate += update_bytes
            return True
        if self.measure(doc) + update_bytes <= self.max_bytes:
            self._estimate += update_bytes
            return True
        return False

    def grew(self, update_bytes: int) -> None:
        """An update applied without :meth:`admit` (from another instance, which capped it)."""
        self._estimate += update_bytes

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
