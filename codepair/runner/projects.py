"""Runs of a whole project tree (docs/projects.md): which sources a build takes, the command
lines it runs, writing the tree into the run's folder and reading a file back from it.

The local backend (:mod:`codepair.runner.local`) runs the jobs; this module decides what they
are, and holds the two places where the server touches a folder the program wrote in.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from codepair.runner.languages import LanguageSpec

#: Languages whose compiler is given every source file of a project, not its entry alone (the
#: others find what the entry imports by themselves: Python, Node, esbuild, rustc's ``mod``).
#: Go's are the files beside the entry's package main (GO111MODULE=off, no subpackages).
_PROJECT_SOURCES = {
    "c": (".c",),
    "cpp": (".cpp", ".cc", ".cxx"),
    "java": (".java",),
    "go": (".go",),
}


#: What a project's build adds to the language's compile line: esbuild compiles one file
#: unless told to follow the entry's imports.
PROJECT_COMPILE_FLAGS = {"typescript": ("--bundle",)}


def project_sources(spec: LanguageSpec, entry: str, tree: dict[str, str]) -> list[str]:
    """The files a project's build compiles: the entry first, then the others in path order."""
    suffixes = _PROJECT_SOURCES.get(spec.id)
    if suffixes is None:
        return [entry]
    folder = entry.rpartition("/")[0]

    def compiled(path: str) -> bool:
        if path == entry or not path.endswith(suffixes):
            return False
        if spec.id == "go":
            return not path.endswith("_test.go") and path.rpartition("/")[0] == folder
        return True

    return [entry, *(path for path in sorted(tree) if compiled(path))]


def project_argv(
    spec: LanguageSpec,
    argv: tuple[str, ...],
    sources: list[str],
    entry: str,
    memory_mb: int,
    *,
    build: str,
) -> list[str]:
    """``argv`` for a project: the language's own source name (or ``{source}``) stands for
    ``sources``; ``{stem}`` is the entry's class or file name without its folder."""
    stem = PurePosixPath(entry).stem
    values = {"stem": stem, "memory_mb": str(memory_mb), "build": build}
    out: list[str] = []
    for arg in argv:
        if arg in (spec.source, "{source}"):
            out.extend(sources)
        else:
            out.append(arg.replace("{source}", entry).format(**values))
    return out


def write_tree(root: Path, tree: dict[str, str], owner: int | None) -> None:
    """Write a project's files under ``root``, a folder this process just made (paths were
    checked where the tree came in; anything that would land outside ``root`` is refused all
    the same).

    One ``mkdir`` per folder and one ``open`` per file, relative to ``root``'s descriptor and
    with ``O_NOFOLLOW | O_EXCL``: nothing in a fresh folder is a link, and nothing is created
    twice. A 200-file tree costs its syscalls and no more (bench/project_run.py)."""
    folders: set[str] = set()
    for path in tree:
        parts = path.split("/")
        if path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in path:
            raise ValueError(f"a project path outside the project: {path!r}")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    base = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in sorted(folders):  # parents first
            os.mkdir(folder, 0o755, dir_fd=base)
            if owner is not None:
                os.chown(folder, owner, owner, dir_fd=base, follow_symlinks=False)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        for path, text in tree.items():
            fd = os.open(path, flags, 0o644, dir_fd=base)
            try:
                if owner is not None:
                    os.fchown(fd, owner, owner)
                data = text.encode("utf-8", "surrogatepass")
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
    finally:
        os.close(base)


#: The most of a file a run writes that is read back (a JUnit XML report).
READ_BACK_MAX = 2 * 1024 * 1024


def read_back(root: Path, path: str) -> str | None:
    """The text of ``path`` under ``root`` as the program left it, or None: not there, not a
    regular file, reached through a link, or over :data:`READ_BACK_MAX`. The program chose
    what lies there, and this runs as the server: nothing outside ``root`` may be read."""
    base = root.resolve()
    target = base / path
    if target.parent.resolve() != target.parent or not target.parent.is_relative_to(base):
        return None  # a folder on the way is a link
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(READ_BACK_MAX + 1)
    if len(data) > READ_BACK_MAX:
        return None
    return data.decode("utf-8", errors="replace")
