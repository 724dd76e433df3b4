"""Files brought into a room's tree from outside (a zip dropped on the file tree).

The import is one server-made update (``Hub.change``): the caller reads the archive
(archive.py), and :func:`merge_files` runs inside the update's transaction, so the tree it
checks is the tree it changes; a refusal raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycrdt import Doc, Map, Text

from codepair.domain.projects.tree import TreeCaps, TreeError, check_files, check_path, read_tree


def under(folder: str, files: Mapping[str, str]) -> dict[str, str]:
    """``files`` moved below ``folder`` (``""``: the project's top)."""
    if not folder:
        return dict(files)
    check_path(folder)
    return {f"{folder}/{path}": text for path, text in files.items()}


def merge_files(
    doc: Doc[Any], files: Mapping[str, str], caps: TreeCaps, language: str | None
) -> list[str]:
    """Write ``files`` into a ``code`` document's tree: a new path becomes a file, an existing
    one (the entry file too) gets the new text in place, so everyone's open editor on it
    stays bound. The merged tree must keep the rules and caps, else :class:`TreeError` and
    nothing changes. Returns the paths written, in order."""
    tree = read_tree(doc, language)
    merged = {**tree.files, **files}
    check_files(merged, caps)
    code = doc.get("code", type=Text)
    tree_map = doc.get("files", type=Map)
    written: list[str] = []
    for path, text in sorted(files.items()):
        if tree.files.get(path) == text:
            continue
        if path == tree.entry:
            _replace(code, text)
        elif isinstance(current := tree_map.get(path), Text):
            _replace(current, text)
        else:
            tree_map[path] = Text(text)
        written.append(path)
    return written


def _replace(text: Text, new: str) -> None:
    del text[:]
    text += new


__all__ = ["TreeError", "merge_files", "under"]
