"""The one-sandbox harness against a hostile program: it cannot read other tests' inputs (the
harness's memory, descriptors or files), carry a later test's input into an earlier test's
output, or stop the other tests with a crash, a hang or a flood of output."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codepair.runner.local import LocalExecutor
from codepair.runner.suite import SuiteRequest, run_suite
from tests.runner.runner_support import require_bwrap, runner_settings

SECRET = "hidden-input-5150"

# Reads everything it can find of the harness (its parent) and of /tmp, /work, and prints it.
SNOOP = r"""
import os, sys
data = sys.stdin.read()
found = []
ppid = os.getppid()
for path in (f"/proc/{ppid}/mem", f"/proc/{ppid}/environ", f"/proc/{ppid}/cmdline",
             f"/proc/{ppid}/fd/0", f"/proc/{ppid}/fd/3", f"/proc/{ppid}/fd/4"):
    try:
        with open(path, "rb") as fh:
            found.append(fh.read(1 << 20).decode("latin-1"))
    except OSError as exc:
        found.append(type(exc).__name__)
for folder in ("/tmp", "/work"):
    for name in os.listdir(folder):
        try:
            with open(os.path.join(folder, name), "rb") as fh:
                found.append(fh.read().decode("latin-1"))
        except OSError:
            pass
with open(f"/tmp/seen-{len(os.listdir('/tmp'))}", "w") as fh:
    fh.write(data)
print(data.strip(), "|", " ".join(found))
"""


@pytest.fixture(scope="module")
async def executor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalExecutor]:
    require_bwrap()
    ex = LocalExecutor(runner_settings(tmp_path_factory.mktemp("suite")))
    await ex.start()
    yield ex
    await ex.close()


async def test_a_program_cannot_see_a_later_tests_input(executor: LocalExecutor) -> None:
    # Visible tests run first: nothing of the hidden input exists anywhere while they run.
    stdins = ("visible-one\n", "visible-two\n", f"{SECRET}\n")
    request = SuiteRequest("python", SNOOP, stdins, barrier=2)
    result = await run_suite(executor, request, executor.reserve())
    assert result.status == "ok", result
    first, second, third = (case.stdout for case in result.cases)
    assert first.startswith("visible-one |") and second.startswith("visible-two |")
    assert SECRET not in first and SECRET not in second
    assert "visible-one" not in second.split("|", 1)[0]
    # Two tests run at once, but none after the barrier while one before it is running.
    assert result.cases[2].stdout.count("visible") >= 1  # it saw what the earlier ones left
    # The harness is not readable through /proc (it made itself undumpable).
    assert "PermissionError" in first
    assert third.startswith(SECRET)


async def test_crash_hang_and_flood_stay_in_their_test(executor: LocalExecutor) -> None:
    code = (
        "import sys\n"
        "s = sys.stdin.read().strip()\n"
        "if s == 'crash': raise SystemExit(4)\n"
        "if s == 'hang':\n    while True: pass\n"
        "if s == 'flood':\n    while True: print('x' * 1000)\n"
        "print(s)\n"
    )
    stdins = ("crash\n", "hang\n", "flood\n", "fine\n", "quiet\n")
    quiet = "if s == 'quiet':\n    import os, time\n    os.close(1)\n    os.close(2)\n"
    code = code.replace("print(s)", quiet + "    time.sleep(30)\nprint(s)")
    result = await run_suite(executor, SuiteRequest("python", code, stdins), executor.reserve())
    statuses = [c.status for c in result.cases]
    assert statuses == ["runtime_error", "time_limit", "output_limit", "ok", "time_limit"]
    assert result.cases[0].exit_code == 4 and result.cases[3].stdout == "fine\n"
    assert len(result.cases[2].stdout) <= 16 * 1024


async def test_compile_error_runs_no_test(executor: LocalExecutor, tmp_path: Path) -> None:
    result = await run_suite(
        executor, SuiteRequest("c", "int main( {", ("a\n", "b\n")), executor.reserve()
    )
    assert result.status == "compile_error" and result.cases == []
    assert "error" in result.compile_output
