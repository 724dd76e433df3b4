"""Fixtures for the language-server tests: a server whose idle language servers stop soon,
Node y-websocket clients, and a check that the servers are installed (CI fails without)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.support.server import Server

REPO = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="module")
def lsp_server(server_factory: ServerFactory) -> Server:
    return server_factory({"CODEPAIR_LSP_IDLE_SECONDS": "3"})


@pytest.fixture
async def node() -> AsyncIterator[NodeClients]:
    clients = await NodeClients.start()
    yield clients
    await clients.close()
