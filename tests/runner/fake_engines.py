"""Small real HTTP servers that speak Piston's and Judge0's documented shapes.

Neither engine can run on these machines (both need Docker and privileged containers), so the
remote backends are tested against these. They run Python programs for real (with the host's
Python, unsandboxed: test code only) and script the other answers.

Shapes, from each project's API documentation:
- Piston v2: ``GET /api/v2/runtimes`` -> ``[{language, version, aliases, runtime?}]``;
  ``POST /api/v2/execute`` ``{language, version, files: [{name?, content}], stdin, args,
  compile_timeout, run_timeout, compile_memory_limit, run_memory_limit}`` ->
  ``{language, version, run: {stdout, stderr, output, code, signal}, compile?: {...}}``
  (3.1+ adds ``message``, ``status``, ``cpu_time``, ``wall_time``, ``memory`` to each stage);
  a bad request is 400 ``{message}``.
- Judge0 CE: ``GET /languages`` -> ``[{id, name}]``;
  ``POST /submissions?base64_encoded=true&wait=true`` ``{source_code, language_id, stdin,
  cpu_time_limit, wall_time_limit, memory_limit}`` -> 201 ``{stdout, stderr, compile_output,
  message, exit_code, exit_signal, status: {id, description}, time, wall_time, memory, token}``
  with the text fields base64-encoded.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PISTON_RUNTIMES = [
    {"language": "python", "version": "3.12.0", "aliases": ["py", "py3", "python3"]},
    {"language": "c++", "version": "10.2.0", "aliases": ["cpp", "g++"], "runtime": "gcc"},
    {"language": "c", "version": "10.2.0", "aliases": ["gcc"], "runtime": "gcc"},
    {"language": "bash", "version": "5.2.0", "aliases": ["sh"]},
]

JUDGE0_LANGUAGES = [
    {"id": 50, "name": "C (GCC 9.2.0)"},
    {"id": 54, "name": "C++ (GCC 9.2.0)"},
    {"id": 46, "name": "Bash (5.0.0)"},
    {"id": 70, "name": "Python (2.7.17)"},
    {"id": 71, "name": "Python (3.8.1)"},
    {"id": 92, "name": "Python (3.11.2)"},
    {"id": 63, "name": "JavaScript (Node.js 12.14.0)"},
]

JUDGE0_STATUS = {
    3: "Accepted",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    11: "Runtime Error (NZEC)",
}


def run_python(code: str, stdin: str, timeout: float) -> tuple[str, str, int | None, bool]:
    """(stdout, stderr, exit code, timed out) of ``code`` run by this machine's Python."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], input=stdin, capture_output=True, text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return out, "", None, True
    return done.stdout, done.stderr, done.returncode, False


class _Handler(BaseHTTPRequestHandler):
    server: _EngineServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length", 0))
        data: dict[str, Any] = json.loads(self.rfile.read(length))
        self.server.requests.append((self.path, dict(self.headers), data))
        return data

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers), None))
        if self.server.fail_with:
            self._json(self.server.fail_with, {"message": "down"})
        elif self.server.engine == "piston" and self.path == "/api/v2/runtimes":
            self._json(200, PISTON_RUNTIMES)
        elif self.server.engine == "judge0" and self.path == "/languages":
            self._json(200, JUDGE0_LANGUAGES)
        else:
            self._json(404, {"message": "not found"})

    def do_POST(self) -> None:
        body = self._body()
        if self.server.fail_with:
            self._json(self.server.fail_with, {"message": "down"})
        elif self.server.engine == "piston" and self.path == "/api/v2/execute":
            self._piston(body)
        elif self.server.engine == "judge0" and self.path.startswith("/submissions?"):
            self._judge0(body)
        else:
            self._json(404, {"message": "not found"})

    def _piston(self, body: dict[str, Any]) -> None:
        if not body.get("files") or "version" not in body:
            self._json(400, {"message": "files and version are required"})
            return
        code = body["files"][0]["content"]
        stage = {"stdout": "", "stderr": "", "output": "", "code": 0, "signal": None}
        response: dict[str, Any] = {"language": body["language"], "version": body["version"]}
        if body["language"] in ("c", "c++"):
            # Scripted: no compiler here. "error" in the source fails the compile stage.
            if "error" in code:
                err = "main.c:1:1: error: expected identifier\n"
                response["compile"] = {**stage, "stderr": err, "output": err, "code": 1}
            else:
                response["compile"] = dict(stage)
                response["run"] = {**stage, "stdout": "compiled\n", "output": "compiled\n"}
            self._json(200, response)
            return
        out, err, code_, timed_out = run_python(code, body["stdin"], body["run_timeout"] / 1000)
        if timed_out:
            # Old servers: killed with SIGKILL, no status. 3.1+: status TO with a message.
            run = {**stage, "stdout": out, "output": out, "code": None, "signal": "SIGKILL"}
            if self.server.piston_v31:
                run.update(status="TO", message="Timeout")
        else:
            run = {**stage, "stdout": out, "stderr": err, "output": out + err, "code": code_}
            if self.server.piston_v31:
                run.update(cpu_time=12, wall_time=30, memory=8 * 1024 * 1024)
        response["run"] = run
        self._json(200, response)

    def _judge0(self, body: dict[str, Any]) -> None:
        if "base64_encoded=true" not in self.path or "wait=true" not in self.path:
            self._json(400, {"error": "expected base64_encoded=true&wait=true"})
            return
        code = base64.b64decode(body["source_code"]).decode()
        stdin = base64.b64decode(body.get("stdin") or "").decode()
        language_id = body["language_id"]
        result: dict[str, Any] = {
            "stdout": None, "stderr": None, "compile_output": None, "message": None,
            "exit_code": 0, "exit_signal": None, "time": "0.004", "wall_time": "0.01",
            "memory": 3200, "token": "4d0b1f5c-0000-4000-8000-000000000000",
        }
        status = 3
        if language_id in (50, 54):
            if "error" in code:
                status = 6
                result["compile_output"] = _b64("main.c: error: expected identifier\n")
                result["exit_code"] = None
            else:
                result["stdout"] = _b64("compiled\n")
        else:
            out, err, exit_code, timed_out = run_python(code, stdin, body["cpu_time_limit"])
            result["stdout"] = _b64(out) if out else None
            result["stderr"] = _b64(err) if err else None
            result["exit_code"] = exit_code
            if timed_out:
                status, result["exit_code"], result["exit_signal"] = 5, None, 9
            elif exit_code:
                status = 11
                result["message"] = _b64(f"Exited with error status {exit_code}")
                if "MemoryError" in err:
                    result["memory"] = body["memory_limit"]
        result["status"] = {"id": status, "description": JUDGE0_STATUS[status]}
        self._json(201, result)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class _EngineServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, engine: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.engine = engine
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.fail_with = 0
        self.piston_v31 = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def engine_server(engine: str) -> Iterator[_EngineServer]:
    """A fake ``piston`` or ``judge0`` on a free port, for the length of the block."""
    server = _EngineServer(engine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
