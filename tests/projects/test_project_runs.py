"""Runs of the room's whole tree through the real server: the files a y-websocket client wrote
are all there, ``meta.run`` or the request's ``command`` runs instead of the default, and a
plain one-file room runs as before."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import runner_env
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server


@pytest.fixture(scope="module")
def run_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory(runner_env())


def start_run(server: Server, room_id: str, token: str, **body: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/api/rooms/{room_id}/runs",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    run: dict[str, Any] = answer.json()
    assert run["status"] not in ("queued", "running"), run  # the runner waits for short runs
    return run


async def test_a_run_takes_the_whole_tree_and_a_command_line(
    node: NodeClients, run_server: Server
) -> None:
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead, language="python")
    cand = join(run_server, room)
    for name, token in (("c", cand.token), ("lead", lead.token)):
        reply = await node.connect(name, run_server.ws_url, room["id"], "code", token)
        assert reply["synced"]
    entry = "from pkg.util import twice\nprint(twice(21))\n"
    util = "def twice(x):\n    return 2 * x\n"
    await node.call("type", client="c", text=entry, delay=0)
    await node.call("setFiles", client="c", files={"pkg/__init__.py": "", "pkg/util.py": util})
    # The hub relays an update after it applied it: once the other client has the tree, a run
    # reads it.
    assert (await node.call("waitFiles", client="lead", files={"pkg/util.py": util}))["ok"]
    assert (await node.call("waitLength", client="lead", length=len(entry)))["ok"]

    run = start_run(run_server, room["id"], cand.token)
    assert (run["status"], run["stdout"]) == ("ok", "42\n"), run
    assert run["language"] == "python"

    command = "python3 -c 'import pkg.util; print(pkg.util.twice(5))'"
    run = start_run(run_server, room["id"], cand.token, command=command)
    assert (run["status"], run["stdout"]) == ("ok", "10\n"), run

    await node.call("setMeta", client="c", key="run", value="echo from meta && python3 main.py")
    for _ in range(100):
        if (await node.call("meta", client="lead"))["meta"].get("run"):
            break
        await asyncio.sleep(0.02)
    run = start_run(run_server, room["id"], cand.token)
    assert (run["status"], run["stdout"]) == ("ok", "from meta\n42\n"), run


async def test_a_one_file_room_runs_as_before(node: NodeClients, run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead, language="python")
    run = start_run(run_server, room["id"], lead.token, code="print('plain')")
    assert (run["status"], run["stdout"]) == ("ok", "plain\n")
