"""Fixtures for the runner: a local executor with small limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from codepair.runner.local import LocalExecutor
from tests.runner.runner_support import require_bwrap, runner_settings


@pytest.fixture(scope="session")
async def executor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalExecutor]:
    require_bwrap()
    ex = LocalExecutor(runner_settings(tmp_path_factory.mktemp("runner")))
    await ex.start()
    yield ex
    await ex.close()
