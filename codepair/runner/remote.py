"""Remote backends for scale: a Piston or Judge0 server runs the code; we translate.

Both speak HTTP+JSON; neither can run on these machines, so their tests stand up a small
HTTP server that answers with the documented shapes (see docs/runner.md for the sources).
"""

from __future__ import annotations

import base64
import re
import signal as signals
from abc import abstractmethod
from typing import Any

import httpx
import structlog

from codepair.config import Settings
from codepair.runner.executor import (
    Executor,
    LanguageInfo,
    OutputListener,
    RunRequest,
    RunResult,
    RunStatus,
)
from codepair.runner.languages import default_specs

log = structlog.get_logger("codepair.runner")

_NAMES = {spec.id: spec.name for spec in default_specs().values()}


class RemoteExecutor(Executor):
    """Shared plumbing: one HTTP client, a language list fetched at start, error mapping."""

    engine = "?"

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        super().__init__(
            concurrency=settings.runner_concurrency,
            waiting=settings.runner_queue_size,
            retry_after=settings.runner_time_limit_seconds,
        )
        if not settings.runner_url:
            raise ValueError(f"CODEPAIR_RUNNER_URL must point at the {self.engine} server")
        self.settings = settings
        timeout = (
            settings.runner_compile_time_limit_seconds + settings.runner_time_limit_seconds * 2 + 30
        )
        self.client = httpx.AsyncClient(
            base_url=settings.runner_url.rstrip("/"),
            timeout=timeout,
            headers=self._auth_headers(settings.runner_api_key.get_secret_value()),
            transport=transport,
        )
        self._languages: dict[str, tuple[LanguageInfo, Any]] = {}

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {}

    def available_languages(self) -> list[LanguageInfo]:
        return [info for info, _ in self._languages.values()]

    async def start(self) -> None:
        try:
            self._languages = await self._fetch_languages()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            # The engine may come up after us; runs will report it until a restart.
            log.error("runner_languages_failed", engine=self.engine, error=repr(exc))

    async def close(self) -> None:
        await self.client.aclose()

    async def _execute(
        self, request: RunRequest, slot: int, on_output: OutputListener | None
    ) -> RunResult:
        if not self._languages:
            await self.start()
            if not self._languages:
                return RunResult.internal_error(f"The {self.engine} server could not be reached")
        entry = self._languages.get(request.language)
        if entry is None:
            return RunResult.internal_error(f"Language {request.language!r} is not available")
        if request.is_project:
            return RunResult.internal_error(
                f"The {self.engine} runner runs one file at a time: runs of a project with "
                "several files or a command line need this server's own sandbox"
            )
        try:
            result = await self._submit(request, entry[1])
        except httpx.HTTPStatusError as exc:
            log.error("runner_http_error", engine=self.engine, status=exc.response.status_code)
            return RunResult.internal_error(
                f"The {self.engine} server answered {exc.response.status_code}"
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.error("runner_remote_failed", engine=self.engine, error=repr(exc))
            return RunResult.internal_error(f"The {self.engine} server could not be reached")
        if on_output is not None:
            for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
                if text:
                    on_output(stream, text)
        return result

    @abstractmethod
    async def _fetch_languages(self) -> dict[str, tuple[LanguageInfo, Any]]:
        """Our language ids mapped to what the engine offers and its own name for each."""

    @abstractmethod
    async def _submit(self, request: RunRequest, engine_language: Any) -> RunResult:
        """Run one request on the engine and translate its answer."""

    def _cap(self, text: str | None) -> tuple[str, bool]:
        text = text or ""
        limit = self.settings.runner_output_limit_bytes
        data = text.encode()
        if len(data) <= limit:
            return text, False
        return data[:limit].decode("utf-8", errors="ignore"), True


# --- Piston -----------------------------------------------------------------------------

#: Our (Monaco) ids -> Piston's language names.
PISTON_LANGUAGES = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "typescript",
    "c": "c",
    "cpp": "c++",
    "java": "java",
    "rust": "rust",
    "go": "go",
    "shell": "bash",
}


class PistonExecutor(RemoteExecutor):
    """Piston's API v2: ``GET /api/v2/runtimes`` and ``POST /api/v2/execute``."""

    backend = "piston"
    engine = "Piston"

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": key} if key else {}

    async def _fetch_languages(self) -> dict[str, tuple[LanguageInfo, Any]]:
        response = await self.client.get("/api/v2/runtimes")
        response.raise_for_status()
        runtimes = response.json()
        found: dict[str, tuple[LanguageInfo, Any]] = {}
        for our_id, name in PISTON_LANGUAGES.items():
            for runtime in runtimes:
                names = {runtime["language"], *runtime.get("aliases", [])}
                if name in names:
                    version = str(runtime["version"])
                    info = LanguageInfo(id=our_id, name=_NAMES[our_id], version=version,
                                        compiled=our_id not in ("python", "javascript", "shell"))
                    found[our_id] = (info, (runtime["language"], version))
                    break
        return found

    async def _submit(self, request: RunRequest, engine_language: Any) -> RunResult:
        s = self.settings
        language, version = engine_language
        spec = default_specs().get(request.language)
        name = spec.source_name(request.code) if spec else "main"
        body = {
            "language": language,
            "version": version,
            "files": [{"name": name, "content": request.code}],
            "stdin": request.stdin,
            "args": [],
            "compile_timeout": int(s.runner_compile_time_limit_seconds * 1000),
            "run_timeout": int(s.runner_time_limit_seconds * 1000),
            "compile_memory_limit": s.runner_compile_memory_limit_mb * 1024 * 1024,
            "run_memory_limit": s.runner_memory_limit_mb * 1024 * 1024,
        }
        response = await self.client.post("/api/v2/execute", json=body)
        if response.status_code == 400:
            message = str(response.json().get("message", "rejected"))
            return RunResult.internal_error(f"Piston refused the run: {message}")
        response.raise_for_status()
        return self._result(response.json())

    def _result(self, data: dict[str, Any]) -> RunResult:
        compiled = data.get("compile")
        run = data.get("run") or {}
        if compiled and (compiled.get("code") or compiled.get("signal")):
            return RunResult(
                status="compile_error",
                compile_output=compiled.get("output") or (
                    (compiled.get("stdout") or "") + (compiled.get("stderr") or "")
                ),
                exit_code=compiled.get("code"),
                signal=_signal_number(compiled.get("signal")),
                message=compiled.get("message") or "Compilation failed",
            )
        stdout, cut_out = self._cap(run.get("stdout"))
        stderr, cut_err = self._cap(run.get("stderr"))
        signal_number = _signal_number(run.get("signal"))
        # Piston >= 3.1 adds a status: TO (timeout), OL/EL (output limits), SG (signal),
        # RE (runtime error), XX (internal). Older servers only give code and signal.
        piston_status = run.get("status")
        status: RunStatus
        if piston_status == "TO" or (piston_status is None and signal_number == signals.SIGKILL):
            status = "time_limit"
        elif piston_status in ("OL", "EL") or cut_out or cut_err:
            status = "output_limit"
        elif piston_status == "XX":
            status = "internal_error"
        elif run.get("code") == 0 and signal_number is None:
            status = "ok"
        else:
            status = "runtime_error"
        memory = run.get("memory")
        return RunResult(
            status=status,
            stdout=stdout,
            stderr=stderr,
            exit_code=run.get("code"),
            signal=signal_number,
            compile_output=(compiled or {}).get("output") or "",
            cpu_ms=_int(run.get("cpu_time")),
            wall_ms=_int(run.get("wall_time")),
            memory_kb=_int(memory / 1024) if isinstance(memory, int | float) else None,
            truncated=cut_out or cut_err,
            message=run.get("message") or "",
        )


# --- Judge0 -----------------------------------------------------------------------------

#: Judge0's language names start like this (the version follows in parentheses).
JUDGE0_LANGUAGES = {
    "python": re.compile(r"^Python \(3"),
    "javascript": re.compile(r"^JavaScript \(Node"),
    "typescript": re.compile(r"^TypeScript"),
    "c": re.compile(r"^C \((GCC|Clang)"),
    "cpp": re.compile(r"^C\+\+ \((GCC|Clang)"),
    "java": re.compile(r"^Java \((OpenJDK|JDK)"),
    "rust": re.compile(r"^Rust"),
    "go": re.compile(r"^Go \("),
    "shell": re.compile(r"^Bash"),
}

#: Judge0's status ids (GET /statuses) -> ours.
JUDGE0_STATUSES: dict[int, RunStatus] = {
    3: "ok",  # Accepted
    4: "ok",  # Wrong Answer: we send no expected output, so it should not happen
    5: "time_limit",
    6: "compile_error",
    7: "runtime_error",  # SIGSEGV
    8: "output_limit",  # SIGXFSZ
    9: "runtime_error",  # SIGFPE
    10: "runtime_error",  # SIGABRT
    11: "runtime_error",  # NZEC
    12: "runtime_error",  # Other
    13: "internal_error",
    14: "runtime_error",  # Exec Format Error
}


class Judge0Executor(RemoteExecutor):
    """Judge0 CE: ``GET /languages`` and ``POST /submissions?base64_encoded=true&wait=true``."""

    backend = "judge0"
    engine = "Judge0"

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"X-Auth-Token": key} if key else {}

    async def _fetch_languages(self) -> dict[str, tuple[LanguageInfo, Any]]:
        response = await self.client.get("/languages")
        response.raise_for_status()
        found: dict[str, tuple[LanguageInfo, Any]] = {}
        # Newer versions have higher ids: keep the last match for each language.
        for item in sorted(response.json(), key=lambda lang: int(lang["id"])):
            for our_id, pattern in JUDGE0_LANGUAGES.items():
                if pattern.match(item["name"]):
                    version = item["name"].partition("(")[2].rstrip(")")
                    info = LanguageInfo(id=our_id, name=_NAMES[our_id], version=version,
                                        compiled=our_id not in ("python", "javascript", "shell"))
                    found[our_id] = (info, int(item["id"]))
        return found

    async def _submit(self, request: RunRequest, engine_language: Any) -> RunResult:
        s = self.settings
        body = {
            "language_id": engine_language,
            "source_code": _b64(request.code),
            "stdin": _b64(request.stdin),
            "cpu_time_limit": s.runner_time_limit_seconds,
            "wall_time_limit": s.runner_time_limit_seconds * 2 + 1,
            "memory_limit": s.runner_memory_limit_mb * 1024,
        }
        response = await self.client.post(
            "/submissions", params={"base64_encoded": "true", "wait": "true"}, json=body
        )
        if response.status_code == 422:
            return RunResult.internal_error(f"Judge0 refused the run: {response.text[:200]}")
        response.raise_for_status()
        return self._result(response.json())

    def _result(self, data: dict[str, Any]) -> RunResult:
        status_id = int((data.get("status") or {}).get("id", 13))
        status = JUDGE0_STATUSES.get(status_id, "internal_error")
        if status_id in (1, 2):  # still queued or processing: wait=true is off on that server
            return RunResult.internal_error("Judge0 did not wait for the result (wait=true off)")
        stdout, cut_out = self._cap(_unb64(data.get("stdout")))
        stderr, cut_err = self._cap(_unb64(data.get("stderr")))
        memory_kb = _int(data.get("memory"))
        if status == "runtime_error" and memory_kb is not None and (
            memory_kb >= self.settings.runner_memory_limit_mb * 1024 * 0.9
        ):
            status = "memory_limit"
        if cut_out or cut_err:
            status = "output_limit" if status == "ok" else status
        time_s = data.get("time")
        wall_s = data.get("wall_time")
        return RunResult(
            status=status,
            stdout=stdout,
            stderr=stderr,
            exit_code=data.get("exit_code"),
            signal=data.get("exit_signal"),
            compile_output=_unb64(data.get("compile_output")),
            cpu_ms=_int(float(time_s) * 1000) if time_s is not None else None,
            wall_ms=_int(float(wall_s) * 1000) if wall_s is not None else None,
            memory_kb=memory_kb,
            truncated=cut_out or cut_err,
            message=_unb64(data.get("message")) or (data.get("status") or {}).get(
                "description", ""
            ),
        )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def _unb64(value: str | None) -> str:
    if not value:
        return ""
    return base64.b64decode(value).decode("utf-8", errors="replace")


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _signal_number(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    try:
        return int(signals.Signals[str(value)])
    except KeyError:
        return None
