"""Shared fixtures: a real server on a free port, on SQLite or PostgreSQL (``CODEPAIR_TEST_DB``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.api import Actor, bootstrap_lead, keep_fresh
from tests.support.server import (
    Server,
    create_pg_database,
    db_backend,
    drop_pg_database,
)

ServerFactory = Callable[..., Server]


def _require_services() -> None:
    """Under CI a missing PostgreSQL must fail the run, never skip it."""
    if db_backend() == "postgres":
        import subprocess

        ok = subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True).returncode == 0
        if not ok:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not running on 127.0.0.1:5432")
            pytest.skip("PostgreSQL is not running (set CI=1 to fail instead)")


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start extra servers with their own settings; all are stopped at the end."""
    _require_services()
    started: list[Server] = []
    databases: list[str] = []

    def start(
        env: dict[str, str] | None = None,
        *,
        server_kind: str | None = None,
        database_url: str | None = None,
    ) -> Server:
        if database_url is None and db_backend() == "postgres":
            database_url = create_pg_database()
            databases.append(database_url)
        srv = Server(
            data_dir=Path(tmp_path_factory.mktemp("server")),
            env_overrides=env or {},
            database_url=database_url or "",
        )
        if server_kind:
            srv.server_kind = server_kind
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.kill()
    for url in databases:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def server(server_factory: ServerFactory) -> Server:
    """The shared server most tests use; tests make their own users and rooms on it."""
    return server_factory()


@pytest.fixture(scope="session")
def shared_lead(server: Server) -> Actor:
    return bootstrap_lead(server)


@pytest.fixture
def lead(server: Server, shared_lead: Actor) -> Actor:
    """The shared server's lead, with an access token that will not expire mid-test."""
    return keep_fresh(server, shared_lead)
