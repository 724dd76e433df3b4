"""Piston and Judge0 backends, against small servers that speak their documented shapes."""

from __future__ import annotations

import base64
from pathlib import Path

from codepair.runner import create_executor
from codepair.runner.executor import RunRequest
from codepair.runner.remote import Judge0Executor, PistonExecutor
from tests.runner.fake_engines import engine_server
from tests.runner.runner_support import runner_settings


async def test_piston_languages_runs_and_failures(tmp_path: Path) -> None:
    with engine_server("piston") as engine:
        settings = runner_settings(
            tmp_path, runner_backend="piston", runner_url=engine.url, runner_api_key="k3y"
        )
        executor = create_executor(settings)
        assert isinstance(executor, PistonExecutor)
        await executor.start()
        langs = {lang.id: lang.version for lang in executor.available_languages()}
        assert langs == {"python": "3.12.0", "cpp": "10.2.0", "c": "10.2.0", "shell": "5.2.0"}

        seen: list[tuple[str, str]] = []
        hello = await executor.run(
            RunRequest("python", "print('hello, ' + input())", "world\n"),
            on_output=lambda stream, text: seen.append((stream, text)),
        )
        assert hello.status == "ok" and hello.stdout == "hello, world\n", hello
        assert hello.exit_code == 0 and hello.memory_kb == 8192 and hello.cpu_ms == 12
        assert seen == [("stdout", "hello, world\n")]
        path, headers, body = engine.requests[-1]
        assert path == "/api/v2/execute" and headers["Authorization"] == "k3y"
        assert body["language"] == "python" and body["version"] == "3.12.0"
        assert body["files"] == [{"name": "main.py", "content": "print('hello, ' + input())"}]
        assert body["stdin"] == "world\n" and body["run_timeout"] == 1000
        assert body["run_memory_limit"] == 256 * 1024 * 1024

        failing = await executor.run(RunRequest("python", "import sys; sys.exit(4)"))
        assert failing.status == "runtime_error" and failing.exit_code == 4

        broken = await executor.run(RunRequest("cpp", "int main( { error"))
        assert broken.status == "compile_error" and "expected identifier" in broken.compile_output
        assert engine.requests[-1][2]["language"] == "c++"

        spin = "while True:\n    pass"
        timed_out = await executor.run(RunRequest("python", spin))
        assert timed_out.status == "time_limit" and timed_out.message == "Timeout"
        engine.piston_v31 = False  # an older server: only SIGKILL tells of the timeout
        timed_out = await executor.run(RunRequest("python", spin))
        assert timed_out.status == "time_limit" and timed_out.signal == 9

        flood = await executor.run(RunRequest("python", "print('x' * 100_000)"))
        assert flood.status == "output_limit" and flood.truncated
        assert len(flood.stdout) == 16 * 1024

        missing = await executor.run(RunRequest("rust", "fn main() {}"))
        assert missing.status == "internal_error" and "not available" in missing.message

        engine.fail_with = 500
        down = await executor.run(RunRequest("python", "print(1)"))
        assert down.status == "internal_error" and "answered 500" in down.message
        await executor.close()


async def test_piston_unreachable_is_an_internal_error(tmp_path: Path) -> None:
    with engine_server("piston") as engine:
        url = engine.url
    executor = create_executor(runner_settings(tmp_path, runner_backend="piston", runner_url=url))
    await executor.start()
    assert executor.available_languages() == []
    result = await executor.run(RunRequest("python", "print(1)"))
    assert result.status == "internal_error" and "could not be reached" in result.message
    await executor.close()


async def test_judge0_languages_runs_and_failures(tmp_path: Path) -> None:
    with engine_server("judge0") as engine:
        settings = runner_settings(
            tmp_path, runner_backend="judge0", runner_url=engine.url, runner_api_key="t0ken"
        )
        executor = create_executor(settings)
        assert isinstance(executor, Judge0Executor)
        await executor.start()
        langs = {lang.id: lang.version for lang in executor.available_languages()}
        # The newest Python wins; Python 2 is not Python.
        assert langs["python"] == "3.11.2"
        assert set(langs) == {"python", "c", "cpp", "shell", "javascript"}

        hello = await executor.run(RunRequest("python", "print('hello, ' + input())", "world\n"))
        assert hello.status == "ok" and hello.stdout == "hello, world\n", hello
        assert hello.cpu_ms == 4 and hello.wall_ms == 10 and hello.memory_kb == 3200
        path, headers, body = engine.requests[-1]
        assert path.startswith("/submissions?") and "wait=true" in path
        assert headers["X-Auth-Token"] == "t0ken"
        assert body["language_id"] == 92
        assert base64.b64decode(body["source_code"]).decode() == "print('hello, ' + input())"
        assert base64.b64decode(body["stdin"]).decode() == "world\n"
        assert body["cpu_time_limit"] == 1.0 and body["memory_limit"] == 256 * 1024

        broken = await executor.run(RunRequest("c", "int main( { error"))
        assert broken.status == "compile_error" and "expected identifier" in broken.compile_output
        assert engine.requests[-1][2]["language_id"] == 50

        failing = await executor.run(RunRequest("python", "import sys; sys.exit(4)"))
        assert failing.status == "runtime_error" and failing.exit_code == 4
        assert failing.message == "Exited with error status 4"

        hog = await executor.run(RunRequest("python", "raise MemoryError"))
        assert hog.status == "memory_limit"

        spin = await executor.run(RunRequest("python", "while True:\n    pass"))
        assert spin.status == "time_limit" and spin.signal == 9

        engine.fail_with = 503
        down = await executor.run(RunRequest("python", "print(1)"))
        assert down.status == "internal_error" and "answered 503" in down.message
        await executor.close()
