"""File create, rename and delete in a room's project tree, for the timeline.

The hub derives them (not the clients, which could lie or be old): the ``code`` document's
``files`` map and ``meta.entry`` are observed, and after each update a client sent the keys
it added and removed become events, attributed to that client's person. An observer on the
map fires only when a path is set or removed; a keystroke into a file changes a ``Y.Text``
below the map and costs nothing here.

A ``Y.Text`` cannot move to another key, so a client renames a file by removing its path and
adding the new one (with the same text) in one update: within one update a removed and an
added path with the same file name (else a lone pair) are one rename. Moving a folder is then
one rename a file. What the server itself writes (a presented question, an import) is on the
timeline already under its own event, and updates from other instances were recorded where
they were received: neither is seen here (:meth:`TreeWatch.clear` before each apply).
"""

from __future__ import annotations

import posixpath
from typing import Any

from pycrdt import Doc, Map
from pycrdt._base import BaseEvent

from codepair.domain.projects.tree import default_entry

#: Events one update may add one by one; past this it is one ``files_changed`` event.
MAX_EVENTS_PER_UPDATE = 20

TreeEvent = tuple[str, dict[str, Any]]


class TreeWatch:
    """Collects the paths an update added to and removed from the ``files`` map."""

    __slots__ = ("_added", "_entry", "_meta", "_removed", "_subscriptions")

    def __init__(self, doc: Doc[Any]) -> None:
        self._added: list[str] = []
        self._removed: list[str] = []
        self._meta: Map[Any] = doc.get("meta", type=Map)
        self._entry: object = None
        files: Map[Any] = doc.get("files", type=Map)
        self._subscriptions = (files.observe(self._on_files), self._meta.observe(self._on_meta))

    def clear(self) -> None:
        """Forget what was seen (before an update whose changes are not to be recorded)."""
        if self._added or self._removed:
            self._added.clear()
            self._removed.clear()
        self._entry = None

    def take(self) -> list[TreeEvent]:
        """The events of what was seen since :meth:`clear`, then clear."""
        if not (self._added or self._removed or self._entry is not None):
            return []
        events = derive_events(self._added, self._removed)
        if isinstance(self._entry, tuple):
            old, new = self._entry
            if isinstance(old, str) and isinstance(new, str) and old != new:
                events.append(("file_renamed", {"from": old, "path": new, "entry": True}))
        self.clear()
        return events

    def _on_files(self, event: BaseEvent) -> None:
        keys: dict[str, dict[str, Any]] = getattr(event, "keys", {})
        for key, change in keys.items():
            action = change.get("action")
            if action == "add":
                self._added.append(key)
            elif action == "delete":
                self._removed.append(key)

    def _on_meta(self, event: BaseEvent) -> None:
        keys: dict[str, dict[str, Any]] = getattr(event, "keys", {})
        change = keys.get("entry")
        if change is None:
            return
        if change.get("action") == "update":
            self._entry = (change.get("oldValue"), change.get("newValue"))
        elif change.get("action") == "add":  # the entry had its language's default path
            language = self._meta.get("language")
            old = default_entry(language if isinstance(language, str) else None)
            self._entry = (old, change.get("newValue"))


def derive_events(added: list[str], removed: list[str]) -> list[TreeEvent]:
    """Created, deleted and renamed files from the paths one update added and removed."""
    added_left = sorted(p for p in set(added) if p not in removed)
    removed_left = sorted(p for p in set(removed) if p not in added)
    renames: list[tuple[str, str]] = []
    by_name: dict[str, list[str]] = {}
    for path in removed_left:
        by_name.setdefault(posixpath.basename(path), []).append(path)
    for path in list(added_left):
        olds = by_name.get(posixpath.basename(path))
        if olds:
            old = olds.pop(0)
            renames.append((old, path))
            added_left.remove(path)
            removed_left.remove(old)
    if len(added_left) == 1 and len(removed_left) == 1:
        renames.append((removed_left.pop(), added_left.pop()))
    if len(added_left) + len(removed_left) + len(renames) > MAX_EVENTS_PER_UPDATE:
        return [
            (
                "files_changed",
                {
                    "created": len(added_left),
                    "deleted": len(removed_left),
                    "renamed": len(renames),
                    "paths": sorted({*added_left, *removed_left, *(n for _o, n in renames)})[
                        :MAX_EVENTS_PER_UPDATE
                    ],
                },
            )
        ]
    events: list[TreeEvent] = [("file_created", {"path": p}) for p in added_left]
    events += [("file_renamed", {"from": old, "path": new}) for old, new in renames]
    events += [("file_deleted", {"path": p}) for p in removed_left]
    return events
