"""Helpers for the runner tests: settings with small limits, and process inspection."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from codepair.config import Settings
from tests.support.server import UID_OFFSET

TEST_UID_BASE = 64000 + UID_OFFSET

#: Toolchains every machine of this project has, so their absence under CI is a failure.
# Every language `make test` provides (golang-go from Debian, esbuild from npm): under CI a
# missing one fails instead of skipping.
BASE_LANGUAGES = {
    "python", "javascript", "typescript", "c", "cpp", "java", "rust", "go", "shell",
}


def runner_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "runner_time_limit_seconds": 1.0,
        "runner_memory_limit_mb": 256,
        "runner_output_limit_bytes": 16 * 1024,
        "runner_concurrency": 2,
        "runner_queue_size": 4,
        # A uid range of its own, so "nothing left behind" checks see only these tests' runs.
        "runner_uid_base": TEST_UID_BASE,
        # The shared build of toolchains (esbuild, the Rust mirror) lives in the repo's data/.
        "runner_toolchains_dir": Path(__file__).resolve().parents[2] / "data" / "toolchains",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def require_bwrap() -> None:
    if shutil.which("bwrap") is None:
        if os.environ.get("CI"):
            pytest.fail("bubblewrap is not installed (apt-get install -y bubblewrap)")
        pytest.skip("bubblewrap is not installed")


def processes_of(uids: range) -> list[tuple[int, str]]:
    """(pid, command) of every live process whose real uid is in ``uids``.

    Zombies are left out: they hold no resources, and the host's init reaps them.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in uids:
                found.append((int(entry.name), cmd))
    return found
