"""A project tree as a zip file, for ``GET /api/rooms/{id}/files.zip``."""

from __future__ import annotations

import io
import zipfile

from codepair.domain.projects.tree import Tree


def to_zip(tree: Tree, folder: str) -> bytes:
    """The tree's files under ``folder/``, deflated, in path order (the same tree gives the
    same bytes: every entry carries one fixed time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(tree.files.items()):
            info = zipfile.ZipInfo(f"{folder}/{path}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8", "surrogatepass"))
    return out.getvalue()
