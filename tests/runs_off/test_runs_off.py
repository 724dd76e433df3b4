"""A server on a machine without bubblewrap says why runs are off, in GET /api/languages (the
room shows that instead of a Run button), in its log, and in the refusal of a run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.runs_off.machine import path_without
from tests.support.api import Actor, bootstrap_lead, client, create_room, join
from tests.support.server import Server


@pytest.fixture(scope="module")
def no_bwrap_server(
    server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> Server:
    path = path_without(tmp_path_factory.mktemp("machine"), "bwrap")
    assert shutil.which("bwrap", path=path) is None
    return server_factory({"PATH": path})


def test_languages_say_why_runs_are_off(no_bwrap_server: Server) -> None:
    server = no_bwrap_server
    lead = bootstrap_lead(server)
    room = create_room(server, lead)
    candidate = join(server, room)
    for who in (lead, candidate):
        with client(server) as c:
            body = c.get("/api/languages", headers=who.headers).json()
        assert body["items"] == []
        assert "bubblewrap" in body["runs_off"]
        assert "apt-get install -y bubblewrap" in body["runs_off"]
    with client(server) as c:
        r = c.post(f"/api/rooms/{room['id']}/runs", headers=lead.headers, json={"code": "print(1)"})
        assert r.status_code == 422
        assert "bubblewrap" in r.json()["detail"]
    log = Path(server.log_path).read_text()
    assert "runs_off" in log and "bubblewrap" in log


def test_a_server_with_bubblewrap_runs(server: Server, lead: Actor) -> None:
    if shutil.which("bwrap") is None:
        missing = "bubblewrap is not installed here (make test installs it as root)"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    with client(server) as c:
        body = c.get("/api/languages", headers=lead.headers).json()
    assert body["runs_off"] is None
    assert any(lang["id"] == "python" for lang in body["items"])
    known = {lang["id"] for lang in body["items"]} | {lang["id"] for lang in body["unavailable"]}
    assert {"python", "javascript", "c", "go", "shell"} <= known
    for lang in body["unavailable"]:
        assert lang["reason"].startswith(lang["name"])
