"""Fixtures for the language-server tests: a server whose idle language servers stop soon,
Node y-websocket clients, and a check that the servers are installed (CI fails without)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import browser, playwright
from tests.hub.nodeclients import NodeClients
from tests.support.server import Server, create_pg_database, db_backend, drop_pg_database

REPO = Path(__file__).resolve().parents[2]
__all__ = ["browser", "playwright"]

TOOLCHAINS = REPO / "data" / "toolchains" / "node_modules"


def need(*what: str) -> None:
    """Skip (or under CI fail) when a language server or the sandbox is missing."""
    missing = []
    for item in what:
        if item.startswith("/"):
            if not os.path.exists(item):
                missing.append(item)
        elif not (TOOLCHAINS / item).exists():
            missing.append(f"data/toolchains/node_modules/{item} (make toolchains)")
    if shutil.which("bwrap") is None:
        missing.append("bubblewrap")
    if missing:
        message = "missing: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def start_server(tmp: Path, env: dict[str, str]) -> Server:
    """A server of this module's own, given a minute to start: language servers' tests run
    beside other helpers' builds on two cores."""
    if db_backend() == "postgres":
        database_url = create_pg_database()
        srv = Server(data_dir=tmp, env_overrides=env, database_url=database_url)
    else:
        srv = Server(data_dir=tmp, env_overrides=env)
    return srv.start(timeout=120)


@pytest.fixture(scope="module")
def lsp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("lsp"), {"CODEPAIR_LSP_IDLE_SECONDS": "3"})
    yield srv
    srv.kill()
    if srv.database_url:
        drop_pg_database(srv.database_url)


@pytest.fixture
async def node() -> AsyncIterator[NodeClients]:
    clients = await NodeClients.start()
    yield clients
    await clients.close()
