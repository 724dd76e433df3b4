"""A project tree as a zip file: ``GET files.zip`` writes one, ``POST files.zip`` reads one.

Reading trusts nothing the archive says about itself. Sizes are counted while inflating (a
zip bomb declares small sizes), the whole archive may inflate to at most the tree's cap and
to at most :data:`MAX_RATIO` times its own size, and every entry must be a regular text file
at a valid project path. Any refusal names the entry and the rule; nothing is applied.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator
from typing import IO

from codepair.domain.projects.tree import Tree, TreeCaps, TreeError, check_path

#: How many times its own size an archive may inflate to (deflate's best is about 1,000
#: times; real source trees inflate 3 to 10 times). Below :data:`RATIO_FLOOR` of text no
#: ratio is asked: a small archive of a repetitive file is no threat.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
#: Entries an archive may list, folders and skipped files included.
MAX_ENTRIES_FACTOR = 4
_CHUNK = 64 * 1024
#: What desktop archivers add that is not the project: skipped, not refused.
_JUNK_FOLDERS = ("__MACOSX",)
_JUNK_FILES = (".DS_Store", "Thumbs.db")


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


def from_zip(data: bytes, caps: TreeCaps) -> dict[str, str]:
    """The files of a zip archive as ``{path: text}``; :class:`TreeError` on anything unsafe.

    When every entry sits under one top folder (as ``GET files.zip`` writes them, and as an
    archiver zips a dragged folder) that folder is dropped from the paths. Folders, and the
    ``__MACOSX``/``.DS_Store`` litter of desktop archivers, are skipped.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise TreeError("the upload is not a zip archive") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > caps.max_files * MAX_ENTRIES_FACTOR:
            raise TreeError(f"a zip to import holds at most {caps.max_files} files")
        wanted = [info for info in infos if _wanted(info)]
        if len(wanted) > caps.max_files:
            raise TreeError(f"a project holds at most {caps.max_files} files")
        names = [_entry_path(info) for info in wanted]
        prefix = _common_folder(names)
        budget = _Budget(caps, len(data))
        files: dict[str, str] = {}
        for info, name in zip(wanted, names, strict=True):
            path = name[len(prefix):] if prefix else name
            check_path(path)
            if path in files:
                raise TreeError(f"{path} is in the zip twice")
            files[path] = _read_text(archive, info, path, budget)
    return files


def _wanted(info: zipfile.ZipInfo) -> bool:
    """Is this entry a file of the project (not a folder, not an archiver's litter)?"""
    name = info.filename.replace("\\", "/")
    if name.endswith("/"):
        return False
    parts = name.split("/")
    return not (parts[0] in _JUNK_FOLDERS or parts[-1] in _JUNK_FILES)


def _entry_path(info: zipfile.ZipInfo) -> str:
    """The entry's name once it is known to be a plain file at a relative path."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise TreeError(f"{name} is a symbolic link: a project holds files only")
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file's zip
        raise TreeError(f"{name} is not a regular file")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise TreeError(f"{name}: a file's path is relative to the project (no leading '/')")
    if ".." in name.replace("\\", "/").split("/"):
        raise TreeError(f"{name}: a file's path must not hold '.' or '..'")
    try:
        check_path(name)
    except TreeError as exc:
        raise TreeError(f"{name!r}: {exc}") from exc
    return name


def _common_folder(names: list[str]) -> str:
    """``"top/"`` when every name is below one folder ``top``, else ``""``."""
    if not names or any("/" not in name for name in names):
        return ""
    top = names[0].split("/", 1)[0]
    return f"{top}/" if all(name.split("/", 1)[0] == top for name in names) else ""


class _Budget:
    """Bytes inflated so far, against the tree's caps and the archive's ratio."""

    __slots__ = ("caps", "limit", "total")

    def __init__(self, caps: TreeCaps, archive_bytes: int) -> None:
        self.caps = caps
        self.total = 0
        self.limit = min(caps.max_tree_bytes, max(RATIO_FLOOR, archive_bytes * MAX_RATIO))

    def take(self, path: str, file_bytes: int, chunk: int) -> None:
        self.total += chunk
        if file_bytes > self.caps.max_file_bytes:
            raise TreeError(f"{path}: a file holds at most {self.caps.max_file_bytes} bytes")
        if self.total > self.limit:
            if self.total > self.caps.max_tree_bytes:
                raise TreeError(
                    f"a project holds at most {self.caps.max_tree_bytes} bytes in all"
                )
            raise TreeError(
                f"the zip inflates to over {MAX_RATIO} times its size: refused as a zip bomb"
            )


def _read_text(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, budget: _Budget
) -> str:
    """The entry's text, inflated a chunk at a time within ``budget``."""
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            for chunk in _chunks(stream):
                size += len(chunk)
                budget.take(path, size, len(chunk))
                parts.append(chunk)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        # Bad CRC, an unknown compression method, an encrypted entry, a truncated stream.
        raise TreeError(f"{path} could not be read from the zip ({exc})") from exc
    raw = b"".join(parts)
    if b"\0" in raw:
        raise TreeError(f"{path} is a binary file: a project holds text files only")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TreeError(f"{path} is not UTF-8 text: a project holds text files only") from exc


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk
