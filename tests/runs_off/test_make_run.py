"""`make run`'s system packages for code runs (the run-deps target), on a machine without
bubblewrap: a PATH without ``bwrap``, with stand-ins for ``id`` (root or not) and
``apt-get`` (which records what it was asked to install and links the real binary in)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.runs_off.machine import path_without

ROOT = Path(__file__).resolve().parents[2]


def _machine(tmp: Path, *, uid: int) -> tuple[dict[str, str], Path]:
    if shutil.which("make") is None or shutil.which("bwrap") is None:
        missing = "needs make and bubblewrap on this machine"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    path = path_without(tmp, "bwrap", "id", "apt-get")
    farm = Path(path)
    (farm / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    asked = tmp / "apt-get.log"
    real_bwrap = shutil.which("bwrap")
    (farm / "apt-get").write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {asked}\n'
        f'case " $* " in *" bubblewrap "*) ln -sf {real_bwrap} {farm}/bwrap;; esac\n'
    )
    for tool in ("id", "apt-get"):
        (farm / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["PATH"] = path
    return env, asked


def _run_deps(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "run-deps", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_not_root_stops_with_the_command(tmp_path: Path) -> None:
    env, asked = _machine(tmp_path, uid=1000)
    done = _run_deps(env)
    assert done.returncode != 0
    assert "sudo apt-get install -y bubblewrap" in done.stdout
    assert "make run RUNS=off" in done.stdout
    assert not asked.exists()  # nothing was installed


def test_not_root_runs_off_serves_and_says_why(tmp_path: Path) -> None:
    env, asked = _machine(tmp_path, uid=1000)
    done = _run_deps(env, "RUNS=off")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "code runs OFF" in done.stdout
    assert not asked.exists()


def test_root_installs_the_sandbox(tmp_path: Path) -> None:
    env, asked = _machine(tmp_path, uid=0)
    done = _run_deps(env)
    assert done.returncode == 0, done.stdout + done.stderr
    log = asked.read_text()
    assert "update" in log
    assert "install" in log and "bubblewrap" in log.split()
    assert shutil.which("bwrap", path=env["PATH"]) is not None
    asked.unlink()
    again = _run_deps(env)  # the sandbox is there now: it is not asked for again
    assert again.returncode == 0, again.stdout + again.stderr
    assert not asked.exists() or "bubblewrap" not in asked.read_text().split()
