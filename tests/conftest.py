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

# What the PostgreSQL run (make test-postgres) leaves out: modules whose subject does not go
# through the database, so running them twice tests the same code twice. The SQLite run
# takes every module; the PostgreSQL run takes what stores, reads, migrates, locks or spans
# instances. On 2 cores the suites are CPU-bound: every module run twice is time CI pays.
DB_AGNOSTIC = (
    # The Yjs and events sockets' protocol, caps and fuzzing (persistence has its own tests).
    "tests/hub/test_hub_wire.py", "tests/hub/test_hub_limits.py", "tests/hub/test_hub_fuzz.py",
    "tests/hub/test_hub_doccaps.py", "tests/hub/test_hub_yjs.py",
    "tests/hub/test_hub_metrics.py", "tests/hub/test_hub_units.py",
    "tests/hub/test_hub_bridge.py", "tests/hub/test_hub_events.py",
    "tests/hub/test_hub_board.py",
    # The sandbox: runs, projects' trees, starters, previews, shells, language servers.
    "tests/runner/test_local.py", "tests/runner/test_projects.py",
    "tests/runner/test_testkit.py", "tests/runner/test_remote.py",
    "tests/projects/test_tree.py", "tests/projects/test_tree_caps.py",
    "tests/projects/test_junit.py", "tests/projects/test_preview_units.py",
    "tests/projects/test_preview.py", "tests/projects/test_starter_projects.py",
    "tests/projects/test_project_runs.py", "tests/projects/test_project_tests_runs.py",
    "tests/projects/test_zip_import.py", "tests/projects/test_project_api.py",
    "tests/questions/test_files.py", "tests/questions/test_suite_sandbox.py",
    "tests/terminal/test_attacks.py", "tests/terminal/test_workspace.py",
    "tests/terminal/test_relay.py",
    "tests/intellisense/",
    "tests/runs_off/",
    # The model's protocol, caps and prompts (the stored conversation: test_ai_record.py).
    "tests/ai/test_assistant.py", "tests/ai/test_caps_and_failures.py",
    # The Redis bus alone, and pure units.
    "tests/bus/", "tests/cluster/test_publish_many.py",
    "tests/test_layers.py", "tests/test_config.py", "tests/test_web_assets.py",
    "tests/test_board.py", "tests/test_ratelimit.py", "tests/test_openapi_schema.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("::", 1)[0].startswith(DB_AGNOSTIC):
            item.add_marker(pytest.mark.db_agnostic)


def _require_services() -> None:
    """Under CI a missing PostgreSQL must fail the run, never skip it."""
    if db_backend() == "postgres":
        import subprocess

        ok = subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True).returncode == 0
        if not ok:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not running on 127.0.0.1:5432")
            pytest.skip("PostgreSQL is not running (set CI=1 to fail instead)")


# Servers started for tests: (the test module that started it, or None for the session's
# shared server; the server; the database made for it). A module's servers are stopped when
# the module is done: kept to the end of the session, the suite's PostgreSQL ran out of
# connections (about 45 idle servers with their pools against max_connections 100).
_STARTED: list[tuple[str | None, Server, str | None]] = []


def _current_module() -> str | None:
    """The test module being set up, run or torn down (pytest says which in the env)."""
    current = os.environ.get("PYTEST_CURRENT_TEST")
    return current.split("::", 1)[0] if current else None


def _stop(entries: list[tuple[str | None, Server, str | None]]) -> None:
    for _module, srv, _database_url in entries:
        srv.kill()
    for _module, _srv, database_url in entries:  # after every server: some share one
        if database_url:
            drop_pg_database(database_url)


@pytest.fixture(scope="module", autouse=True)
def _stop_module_servers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Stop the servers this module started (after its own fixtures are torn down)."""
    yield
    module = request.node.nodeid.split("::", 1)[0]
    mine = [entry for entry in _STARTED if entry[0] == module]
    _STARTED[:] = [entry for entry in _STARTED if entry[0] != module]
    _stop(mine)


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start extra servers with their own settings; each is stopped when the test module
    that started it is done (``session_wide=True``: at the end of the session)."""
    _require_services()

    def start(
        env: dict[str, str] | None = None,
        *,
        server_kind: str | None = None,
        database_url: str | None = None,
        session_wide: bool = False,
    ) -> Server:
        created = None
        if database_url is None and db_backend() == "postgres":
            database_url = created = create_pg_database()
        srv = Server(
            data_dir=Path(tmp_path_factory.mktemp("server")),
            env_overrides=env or {},
            database_url=database_url or "",
        )
        if server_kind:
            srv.server_kind = server_kind
        _STARTED.append((None if session_wide else _current_module(), srv, created))
        return srv.start()

    yield start
    _stop(_STARTED)
    _STARTED.clear()


@pytest.fixture(scope="session")
def server(server_factory: ServerFactory) -> Server:
    """The shared server most tests use; tests make their own users and rooms on it."""
    return server_factory(session_wide=True)


@pytest.fixture(scope="session")
def shared_lead(server: Server) -> Actor:
    return bootstrap_lead(server)


@pytest.fixture
def lead(server: Server, shared_lead: Actor) -> Actor:
    """The shared server's lead, with an access token that will not expire mid-test."""
    return keep_fresh(server, shared_lead)
