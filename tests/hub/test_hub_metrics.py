"""What the hub records while an interview goes on: ``GET /metrics`` and the log lines about
its sockets, read from a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.hub.nodeclients import two_editors
from tests.support.server import Server


def samples(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = httpx.get(f"{server.url}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(server: Server, name: str, **labels: str) -> float:
    return samples(server).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_rooms_sockets_messages_and_the_group_commit_are_counted(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_LOG_JSON": "true"})  # its own: nothing else moves them
    async with two_editors(srv) as (lead, room, node):
        assert value(srv, "codepair_sockets_open", doc="code") == 2
        assert value(srv, "codepair_rooms_open") == 1
        await node.call("type", client="a", text="hello")
        assert (await node.call("waitText", client="b", text="hello"))["ok"]
        await asyncio.sleep(0.3)  # a few group-commit windows
        assert value(srv, "codepair_messages_in_total", kind="update") >= 5
        assert value(srv, "codepair_messages_out_total", kind="update") >= 5
        assert value(srv, "codepair_messages_in_total", kind="sync") >= 2
        assert value(srv, "codepair_group_commit_seconds_count") >= 1
        assert value(srv, "codepair_group_commit_updates_sum") >= 5
        assert value(srv, "codepair_update_log_lag_seconds_count") >= 1
        await node.call("disconnect", client="a")
        await node.call("disconnect", client="b")
        async with asyncio.timeout(5):
            while value(srv, "codepair_sockets_open", doc="code") != 0:
                await asyncio.sleep(0.05)

    # One JSON line per socket opened and closed, with the room, the socket and who; never
    # the token, which came in the query string.
    lines = [json.loads(line) for line in srv.log_path.read_text().splitlines()
             if line.startswith("{")]
    opened = [e for e in lines if e.get("event") == "socket_opened"]
    closed = [e for e in lines if e.get("event") == "socket_closed"]
    assert len(opened) == 2 and len(closed) == 2
    assert {e["room"] for e in opened + closed} == {room["id"]}
    assert {e["who"] for e in opened} == {f"user:{lead.user_id}"}
    assert {e["conn"] for e in opened} == {e["conn"] for e in closed}
    assert lead.token not in srv.log_path.read_text()
