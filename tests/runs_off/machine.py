"""A machine without bubblewrap, for a test server: a PATH of its own with every command of
this one but ``bwrap`` (the way ``make run`` and the runner look for it)."""

from __future__ import annotations

import os
from pathlib import Path


def path_without(tmp: Path, *commands: str) -> str:
    """A directory of links to every command on PATH except ``commands``; use as PATH."""
    farm = tmp / "bin"
    farm.mkdir(parents=True, exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not Path(directory).is_dir():
            continue
        for entry in Path(directory).iterdir():
            target = farm / entry.name
            if entry.name in commands or target.exists() or target.is_symlink():
                continue
            if entry.is_file() and os.access(entry, os.X_OK):
                target.symlink_to(entry.resolve())
    return str(farm)
