"""Run the real server (``codepair serve``) on a free port, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# The sandboxes' uids of this suite are offset by this much (make test-py runs the SQLite and
# PostgreSQL suites at once, and "nothing left behind" checks look at a uid's processes).
UID_OFFSET = int(os.environ.get("TEST_UID_OFFSET", "0"))
PG_ADMIN_DSN = os.environ.get("CODEPAIR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# Generous limits for the shared test server: the suite logs in many times from one address.
TEST_LIMITS = {
    "CODEPAIR_LOGIN_PER_MINUTE_PER_IP": "100000",
    "CODEPAIR_LOGIN_PER_MINUTE_PER_ACCOUNT": "100000",
    "CODEPAIR_JOINS_PER_MINUTE_PER_IP": "100000",
    "CODEPAIR_ROOMS_PER_MINUTE_PER_USER": "100000",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def db_backend() -> str:
    """``sqlite`` (default) or ``postgres``, from ``CODEPAIR_TEST_DB``."""
    return os.environ.get("CODEPAIR_TEST_DB", "sqlite")


def create_pg_database() -> str:
    """A fresh, empty PostgreSQL database; returns its SQLAlchemy URL."""
    name = f"codepair_t_{secrets.token_hex(6)}"
    _psql(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN_DSN, "-q", "-c", sql], check=True, capture_output=True)


@dataclass
class Server:
    """A ``codepair serve`` subprocess with its own data dir and database."""

    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    database_url: str = ""
    server_kind: str = field(
        default_factory=lambda: os.environ.get("CODEPAIR_TEST_SERVER", "uvicorn")
    )
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEPAIR_")}
        env.update(
            {
                "CODEPAIR_DATA_DIR": str(self.data_dir),
                "CODEPAIR_PUBLIC_URL": self.url,
                "CODEPAIR_LOG_LEVEL": "INFO",
                **TEST_LIMITS,
            }
        )
        if self.database_url:
            env["CODEPAIR_DATABASE_URL"] = self.database_url
        # Two suites may run side by side (make test-py): each keeps its sandboxes' uids apart.
        env["CODEPAIR_RUNNER_UID_BASE"] = str(61000 + UID_OFFSET)
        env["CODEPAIR_TERMINAL_UID_BASE"] = str(60000 + UID_OFFSET)
        env.update(self.env_overrides)
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "codepair"), *args],
            env=self.env(),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            check=check,
            timeout=max(60.0, float(os.environ.get("CODEPAIR_TEST_START_TIMEOUT", "60"))),
        )

    def start(self, timeout: float | None = None) -> Server:
        # A loaded machine (several suites at once on 2 cores) can take longer to start one.
        timeout = timeout or float(os.environ.get("CODEPAIR_TEST_START_TIMEOUT", "30"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url and not self.database_url.startswith("sqlite"):
            self.cli("migrate")
        with self.log_path.open("ab") as log:
            self.proc = self._spawn(log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(VENV_BIN / "codepair"),
                "serve",
                "--port",
                str(self.port),
                "--server",
                self.server_kind,
            ],
            env=self.env(),
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as an operator's restart would do."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """``kill -9`` of the whole server process group."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> Server:
        self.stop()
        return self.start()
