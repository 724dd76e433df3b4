"""The local backend runs real programs, and its sandbox holds."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codepair.runner.executor import Busy, RunRequest
from codepair.runner.local import UNSANDBOXED_REFUSED, LocalExecutor
from tests.runner.runner_support import (
    BASE_LANGUAGES,
    TEST_UID_BASE,
    processes_of,
    require_bwrap,
    runner_settings,
)
from tests.support.server import UID_OFFSET

TEST_UIDS = range(TEST_UID_BASE, TEST_UID_BASE + 2)
KILL_BASE = 62000 + UID_OFFSET  # the killed server's own runner
KILL_UIDS = range(KILL_BASE, KILL_BASE + 2)

HELLO = {
    "python": "print('hello, ' + input())",
    "javascript": "process.stdin.on('data', d => console.log('hello, ' + d.toString().trim()))",
    "typescript": textwrap.dedent("""
        const who: string = require('fs').readFileSync(0, 'utf8').trim();
        console.log(`hello, ${who}`);
    """),
    "c": textwrap.dedent("""
        #include <stdio.h>
        int main(void) { char who[64]; scanf("%63s", who); printf("hello, %s\\n", who); }
    """),
    "cpp": textwrap.dedent("""
        #include <iostream>
        #include <string>
        int main() { std::string who; std::cin >> who; std::cout << "hello, " << who << "\\n"; }
    """),
    "java": textwrap.dedent("""
        import java.util.Scanner;
        public class Greeter {
            public static void main(String[] args) {
                System.out.println("hello, " + new Scanner(System.in).next());
            }
        }
    """),
    "rust": textwrap.dedent("""
        fn main() {
            let mut who = String::new();
            std::io::stdin().read_line(&mut who).unwrap();
            println!("hello, {}", who.trim());
        }
    """),
    "go": textwrap.dedent("""
        package main
        import "fmt"
        func main() { var who string; fmt.Scan(&who); fmt.Println("hello, " + who) }
    """),
    "shell": 'read who; echo "hello, $who"',
}


@pytest.mark.parametrize("language", sorted(HELLO))
async def test_real_program_in_each_language(executor: LocalExecutor, language: str) -> None:
    if not executor.supports(language):
        if language in BASE_LANGUAGES and os.environ.get("CI"):
            pytest.fail(f"{language} toolchain missing")
        pytest.skip(f"{language} toolchain not installed here")
    result = await executor.run(RunRequest(language, HELLO[language], "world\n"))
    assert result.status == "ok", result
    assert result.stdout == "hello, world\n"
    assert result.exit_code == 0 and result.signal is None
    assert result.wall_ms is not None and result.cpu_ms is not None
    assert result.sandboxed


async def test_compile_error_and_runtime_error(executor: LocalExecutor) -> None:
    broken = await executor.run(RunRequest("c", "int main(void) { return nope; }"))
    assert broken.status == "compile_error"
    assert "nope" in broken.compile_output and broken.stdout == ""

    failing = await executor.run(
        RunRequest("python", "import sys\nprint('before')\nsys.exit(3)")
    )
    assert failing.status == "runtime_error"
    assert failing.exit_code == 3 and failing.stdout == "before\n"

    crash = await executor.run(RunRequest("python", "import os, signal\nos.kill(os.getpid(), 11)"))
    assert crash.status == "runtime_error" and crash.signal == 11


async def test_infinite_loop_and_sleeper_end_at_the_time_limit(executor: LocalExecutor) -> None:
    started = time.monotonic()
    spin, sleeper = await asyncio.gather(
        executor.run(RunRequest("python", "while True:\n    pass")),
        executor.run(RunRequest("python", "import time\ntime.sleep(60)")),
    )
    assert spin.status == "time_limit", spin
    assert sleeper.status == "time_limit", sleeper
    # 1 s of CPU for the spinner; the sleeper is stopped by the wall clock (2 * 1 + 1 s).
    assert time.monotonic() - started < 6


@pytest.fixture(scope="module")
async def cpu_rich_executor(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LocalExecutor]:
    """Runs with 5 s of CPU: V8 collects hard near its heap cap, and its collector threads
    add to the process's CPU time, so a JavaScript hog on a busy machine could pass the
    suite's 1 s of CPU before it reached the memory limit (seen once in a full run)."""
    require_bwrap()
    ex = LocalExecutor(
        runner_settings(tmp_path_factory.mktemp("runner-cpu"), runner_time_limit_seconds=5.0)
    )
    await ex.start()
    yield ex
    await ex.close()


@pytest.mark.parametrize("language", ["python", "javascript", "c"])
async def test_memory_hog_ends_at_the_memory_limit(
    cpu_rich_executor: LocalExecutor, language: str
) -> None:
    executor = cpu_rich_executor
    hogs = {
        "python": "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))",
        "javascript": "const a = []; while (true) a.push(new Array(1e6).fill(1.5));",
        "c": textwrap.dedent("""
            #include <stdlib.h>
            #include <string.h>
            int main(void) {
                for (;;) { char *p = malloc(16 << 20); memset(p, 1, 16 << 20); }
            }
        """),
    }
    result = await executor.run(RunRequest(language, hogs[language]))
    assert result.status == "memory_limit", result


async def test_many_processes_together_end_at_the_runs_memory_cap(
    tmp_path: Path,
) -> None:
    """Six processes of 100 MiB each stay under the 256 MiB a process; together they pass the
    run's 384 MiB cap (a memory cgroup), and the run ends as a memory limit that says so."""
    require_bwrap()
    ex = LocalExecutor(runner_settings(tmp_path, runner_tree_memory_mb=384,
                                       runner_time_limit_seconds=10.0,
                                       runner_uid_base=TEST_UID_BASE + 10))
    await ex.start()
    try:
        code = textwrap.dedent("""
            import os, time
            children = []
            for _ in range(6):
                pid = os.fork()
                if pid == 0:
                    block = b"x" * (100 * 1024 * 1024)
                    time.sleep(3)
                    os._exit(0)
                children.append(pid)
            failed = 0
            for pid in children:
                _, status = os.waitpid(pid, 0)
                failed += status != 0
            raise SystemExit(1 if failed else 0)
        """)
        result = await ex.run(RunRequest("python", code))
        assert result.status == "memory_limit", result
        assert "384 MiB for all the program's processes" in result.message
        # The next run of the slot has its memory again.
        again = await ex.run(RunRequest("python", "print(len(b'y' * (50 * 1024 * 1024)))"))
        assert again.status == "ok" and again.stdout == "52428800\n", again
    finally:
        await ex.close()


async def test_fork_bomb_is_contained_and_the_machine_stays_responsive(
    executor: LocalExecutor,
) -> None:
    counter = textwrap.dedent("""
        import os, time
        n = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                n += 1
        except OSError:
            print(n)
    """)
    bomb = asyncio.create_task(
        executor.run(RunRequest("shell", "bomb() { bomb | bomb & }; bomb; sleep 30"))
    )
    await asyncio.sleep(0.5)
    # While the bomb runs, this machine still starts programs at once...
    started = time.monotonic()
    subprocess.run(["true"], check=True)
    assert time.monotonic() - started < 0.5
    # ...and a run in the other worker slot (its own uid) still gets its processes.
    counted = await executor.run(RunRequest("python", counter))
    assert counted.status == "ok", counted
    assert 30 < int(counted.stdout) < 64
    result = await bomb
    assert result.status == "time_limit", result
    deadline = time.monotonic() + 3
    while processes_of(TEST_UIDS) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert processes_of(TEST_UIDS) == []


async def test_a_cancelled_run_kills_its_sandbox(executor: LocalExecutor) -> None:
    task = asyncio.create_task(executor.run(RunRequest("shell", "sleep 50 & sleep 50")))
    deadline = time.monotonic() + 5
    while len(processes_of(TEST_UIDS)) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 3
    while processes_of(TEST_UIDS) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert processes_of(TEST_UIDS) == []
    assert executor.queue.admitted == 0


async def test_no_network_not_even_loopback(executor: LocalExecutor) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    port = server.getsockname()[1]
    probe = textwrap.dedent(f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=1)
            print("connected")
        except OSError as exc:
            print("refused", type(exc).__name__)
    """)
    with server:
        result = await executor.run(RunRequest("python", probe))
        assert result.stdout.startswith("refused"), result
        with pytest.raises(TimeoutError):
            server.accept()


async def test_filesystem_is_read_only_outside_the_work_dir(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    # Stands for the server's data dir: its database and its secret.
    secret = tmp_path / "secret_key"
    secret.write_text("s3cret")
    database = tmp_path / "codepair.db"
    database.write_text("SQLite format 3")
    secret.chmod(0o644)
    database.chmod(0o644)
    probe = textwrap.dedent(f"""
        import os
        for path in ["/usr/bin/evil", "/etc/evil", "/evil", "/proc/evil"]:
            try:
                open(path, "w").write("x")
                print("WROTE", path)
            except OSError:
                pass
        for path in [{str(secret)!r}, {str(database)!r}, {str(Path.cwd() / "pyproject.toml")!r},
                     "/root/.bash_history", "/etc/shadow", "/etc/hostname"]:
            try:
                open(path).read()
                print("READ", path)
            except OSError:
                pass
        open("mine.txt", "w").write("ok")
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        import getpass
        print(open("mine.txt").read(), os.getcwd(), len(pids) < 5, getpass.getuser())
    """)
    result = await executor.run(RunRequest("python", probe))
    assert result.status == "ok", result
    assert "WROTE" not in result.stdout and "READ" not in result.stdout, result.stdout
    # Its own work dir is writable, and it sees only its own processes.
    assert result.stdout.strip() == "ok /work True runner"


async def test_output_flood_is_cut(executor: LocalExecutor) -> None:
    result = await executor.run(RunRequest("python", "while True:\n    print('x' * 1000)"))
    assert result.status == "output_limit", result
    assert result.truncated
    assert 0 < len(result.stdout) <= 16 * 1024


async def test_full_queue_answers_busy_at_once(tmp_path: Path) -> None:
    require_bwrap()
    ex = LocalExecutor(runner_settings(tmp_path, runner_concurrency=1, runner_queue_size=1))
    await ex.start()
    sleeper = RunRequest("shell", "sleep 0.5")
    running = [asyncio.create_task(ex.run(sleeper)) for _ in range(2)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(Busy) as busy:
        await ex.run(sleeper)
    assert time.monotonic() - started < 0.05
    assert busy.value.retry_after >= 1
    assert [r.status for r in await asyncio.gather(*running)] == ["ok", "ok"]
    assert ex.queue.admitted == 0
    await ex.close()


async def test_back_to_back_runs_leave_no_zombies_behind(tmp_path: Path) -> None:
    # Zombies count against the slot uid's process limit: if each run left one for the host's
    # init to reap, a burst of runs would hit "Can't fork" after a few dozen.
    require_bwrap()
    ex = LocalExecutor(runner_settings(tmp_path, runner_concurrency=1, runner_max_processes=6))
    await ex.start()
    results = [await ex.run(RunRequest("shell", "echo ok")) for _ in range(40)]
    assert {r.status for r in results} == {"ok"}, results[-1]
    killed = [await ex.run(RunRequest("shell", "sleep 9"))]
    assert killed[0].status == "time_limit"
    assert (await ex.run(RunRequest("shell", "echo ok"))).status == "ok"


async def test_without_bubblewrap_runs_are_refused_unless_allowed(tmp_path: Path) -> None:
    refused = LocalExecutor(runner_settings(tmp_path), bwrap=None)
    await refused.start()
    assert refused.available_languages() == []
    result = await refused.run(RunRequest("python", "print(1)"))
    assert result.status == "internal_error" and result.message == UNSANDBOXED_REFUSED
    assert not result.sandboxed

    allowed = LocalExecutor(runner_settings(tmp_path, runner_allow_unsandboxed=True), bwrap=None)
    await allowed.start()
    for language, code in (("python", HELLO["python"]), ("c", HELLO["c"])):
        result = await allowed.run(RunRequest(language, code, "world"))
        assert result.status == "ok", result
        assert result.stdout == "hello, world\n"
        assert not result.sandboxed and "WITHOUT a sandbox" in result.message


async def test_operator_adds_a_language(tmp_path: Path) -> None:
    require_bwrap()
    table = tmp_path / "languages.toml"
    table.write_text(textwrap.dedent("""
        [languages.awk]
        name = "AWK"
        source = "main.awk"
        run = ["awk", "-f", "main.awk"]

        [languages.shell]
        disabled = true
    """))
    ex = LocalExecutor(runner_settings(tmp_path, runner_languages_file=table))
    await ex.start()
    ids = {lang.id for lang in ex.available_languages()}
    assert "awk" in ids and "shell" not in ids and "python" in ids
    result = await ex.run(RunRequest("awk", '{ print "hello, " $1 }', "world\n"))
    assert result.stdout == "hello, world\n", result


def test_killing_the_server_mid_run_leaves_no_process(tmp_path: Path) -> None:
    require_bwrap()
    script = textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from codepair.runner.executor import RunRequest
        from codepair.runner.local import LocalExecutor
        from tests.runner.runner_support import runner_settings

        async def main():
            ex = LocalExecutor(runner_settings(Path({str(tmp_path)!r}), runner_uid_base={KILL_BASE},
                                               runner_time_limit_seconds=60))
            await ex.start()
            code = "sleep 100 & sleep 100 & (sleep 100; echo) & echo started; sleep 100"
            await ex.run(RunRequest("shell", code), on_output=lambda s, t: print(t, flush=True))

        asyncio.run(main())
    """)
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # log lines come first
            if line.strip() == b"started":
                break
        assert len(processes_of(KILL_UIDS)) >= 4
    finally:
        server.kill()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()
    deadline = time.monotonic() + 3
    while processes_of(KILL_UIDS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(KILL_UIDS) == []
