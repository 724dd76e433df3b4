"""A server that may send webhooks to loopback receivers, with fast retries."""

from __future__ import annotations

import pytest

from tests.conftest import ServerFactory
from tests.support.api import Actor, bootstrap_lead
from tests.support.server import Server

FAST_RETRIES = {
    "CODEPAIR_WEBHOOK_ALLOW_PRIVATE": "true",
    "CODEPAIR_WEBHOOK_RETRY_SECONDS": "0.3,0.6",
    "CODEPAIR_OUTBOX_POLL_SECONDS": "0.2",
}


@pytest.fixture(scope="module")
def hook_server(server_factory: ServerFactory) -> Server:
    return server_factory(FAST_RETRIES)


@pytest.fixture(scope="module")
def hook_lead(hook_server: Server) -> Actor:
    return bootstrap_lead(hook_server)
