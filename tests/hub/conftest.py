"""Fixtures for the hub tests: Node y-websocket clients and a fresh room per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, create_room
from tests.support.server import Server


@pytest.fixture
async def node() -> AsyncIterator[NodeClients]:
    clients = await NodeClients.start()
    yield clients
    await clients.close()


@pytest.fixture
def room(server: Server, lead: Actor) -> dict[str, Any]:
    return create_room(server, lead, language="python")
