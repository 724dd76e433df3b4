"""Issue 22's "Scale out": one shell a room across peer instances (docs/terminal.md).

Real processes (one core, two peers on PostgreSQL and Redis), real bubblewrap shells, real
terminal sockets: sockets of one room on two instances share the one shell on the lease
holder; a killed holder's shell is started again on a survivor by the next keystroke.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bus.servers import PrivateRedis
from tests.cluster.support import SHARED_REDIS_URL, Cluster, require_services, start_cluster
from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.server import UID_OFFSET
from tests.terminal.client import TermClient, prompt

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

LEASE = 1.5  # seconds: a killed instance's shell is taken over after about this


IDLE = 3.0  # seconds, in the test that waits for the idle stop


def a_cluster(tmp_path: Path, redis_url: str = SHARED_REDIS_URL, **env: str) -> Cluster:
    """The cluster, each peer with shell uids of its own (as two machines would have)."""
    require_services()
    return start_cluster(
        tmp_path,
        redis_url,
        extra_env={"CODEPAIR_TERMINAL_LEASE_SECONDS": str(LEASE), **env},
        peer_env=[{"CODEPAIR_TERMINAL_UID_BASE": str(60000 + UID_OFFSET + 100 * k)}
                  for k in range(2)],
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    started = a_cluster(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def idle_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """The cluster with a short idle time."""
    started = a_cluster(tmp_path, CODEPAIR_TERMINAL_IDLE_SECONDS=str(IDLE))
    yield started
    started.stop()


@pytest.fixture
def private_cluster(tmp_path: Path, private_redis: PrivateRedis) -> Iterator[Cluster]:
    """The cluster on a Redis of this test's own, with the default lease (6 s): the lease
    must outlast the instances' reconnection when that Redis restarts."""
    started = a_cluster(tmp_path, private_redis.url, CODEPAIR_TERMINAL_LEASE_SECONDS="6")
    yield started
    started.stop()


def a_room(cluster: Cluster) -> tuple[Actor, dict[str, Any], Actor]:
    lead = bootstrap_lead(cluster.core)
    room = create_room(cluster.core, lead, language="python")
    return lead, room, join(cluster.core, room)


async def shell_id(client: TermClient, tag: str) -> str:
    """What tells one shell from another: its pid and start time (pids in a fresh pid
    namespace repeat), as that shell prints them."""
    out = await client.run(f"echo {tag}=$$-$(cut -d' ' -f22 /proc/$$/stat)",
                           rf"{tag}=\d+-\d+\r?\n")
    found = re.search(rf"{tag}=(\d+-\d+)\r?\n", out)
    assert found, out
    return found.group(1)


async def cast_rows(cluster: Cluster, lead: Actor, room_id: str) -> list[list[Any]]:
    async with httpx.AsyncClient(base_url=cluster.core.url, headers=lead.headers) as http:
        resp = await http.get(f"/api/rooms/{room_id}/terminal.cast")
    assert resp.status_code == 200, resp.text
    return [json.loads(line) for line in resp.text.splitlines()[1:] if line]


async def test_sockets_on_two_instances_type_into_one_shell(cluster: Cluster) -> None:
    lead, room, cand = a_room(cluster)
    first, second = cluster.peers
    a = await TermClient.open(first, room["id"], lead.token)
    b = await TermClient.open(second, room["id"], cand.token)
    try:
        await prompt(a)
        await prompt(b)
        assert await shell_id(a, "IDA") == await shell_id(b, "IDB")  # one shell
        await b.wait_output("IDA=")  # each sees the other's typing and its output
        await a.wait_output("IDB=")
        await a.run("SHARED=set-by-a; echo V$((1+1))", "V2")
        out = await b.run("echo [$SHARED] U$((2+1))", "U3")
        assert "[set-by-a]" in out
        await b.run("echo from-b > /tmp/shared; echo W$((3+3))", "W6")
        out = await a.run("cat /tmp/shared; echo R$((4+4))", "R8")
        assert "from-b" in out
        # Keystrokes through the relay are recorded once, by the shell's instance.
        async def recorded() -> list[list[Any]]:
            rows = await cast_rows(cluster, lead, room["id"])
            return [r for r in rows if r[1] == "i" and "echo from-b" in r[2]]

        deadline = time.monotonic() + 10
        while not await recorded():
            assert time.monotonic() < deadline, "the relayed keystrokes are not in the record"
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        assert len(await recorded()) == 1
    finally:
        await a.close()
        await b.close()


async def test_a_new_socket_on_the_other_instance_gets_the_recent_output(
    cluster: Cluster,
) -> None:
    lead, room, _ = a_room(cluster)
    first, second = cluster.peers
    a = await TermClient.open(first, room["id"], lead.token)
    try:
        await prompt(a)
        await a.run("seq 1 3000 | sed 's/^/line-/'; echo D$((40+2))", "D42")
        late = await TermClient.open(second, room["id"], lead.token)
        try:
            await late.wait_output("line-3000")
            await late.wait_output("D42")
            # At least the last 64 KiB: line-3000 back to well before 64 KiB of output.
            assert "line-2000\r\n" in late.text
            status = await late.wait_status("running")
            assert late.messages[0]["type"] == "status"
            assert status["state"] == "running"
            # And then it is live: what the shell prints next reaches it.
            await a.run("echo L$((5*5))", "L25")
            await late.wait_output("L25")
        finally:
            await late.close()
    finally:
        await a.close()


async def test_denials_hold_through_the_other_instance(cluster: Cluster) -> None:
    lead, room, cand = a_room(cluster)
    first, second = cluster.peers
    owner_side = await TermClient.open(first, room["id"], lead.token)
    c = await TermClient.open(second, room["id"], cand.token)
    i = await TermClient.open(second, room["id"], lead.token)  # an interviewer on the relay
    try:
        await prompt(owner_side)
        await prompt(c)
        await c.send_json({"type": "restart"})
        await c.wait(lambda: any(m.get("code") == "forbidden" for m in c.messages))
        await c.send_json({"type": "readonly", "on": True})
        await c.wait(lambda: sum(m.get("code") == "forbidden" for m in c.messages) == 2)

        await i.send_json({"type": "readonly", "on": True})
        await c.wait(lambda: any(m.get("readonly") for m in c.messages
                                 if m.get("type") == "status"))
        await owner_side.wait(lambda: any(m.get("readonly") for m in owner_side.messages
                                          if m.get("type") == "status"))
        await c.type("echo typed-by-candidate\r")
        await c.wait(lambda: any(m.get("code") == "read_only" for m in c.messages))
        await asyncio.sleep(0.5)
        assert "typed-by-candidate" not in owner_side.text
        await i.send_json({"type": "readonly", "on": False})
        await c.wait(lambda: [m for m in c.messages if m.get("type") == "status"][-1]
                     .get("readonly") is False)
        await c.run("echo C$((7*6))", "C42")

        # An interviewer on the relay may restart: a new shell for everyone.
        await owner_side.run("export KEEP=K$((5+5))", r"\$ ")
        since = len(owner_side.messages)
        await i.send_json({"type": "restart"})
        await owner_side.wait_status("running", since=since)
        await i.wait_output("Restarted by an interviewer")
        out = await i.run("echo [$KEEP] R$((8+1))", "R9")
        assert "[]" in out
    finally:
        for client in (owner_side, c, i):
            await client.close()


async def test_a_killed_instance_s_shell_starts_again_on_a_survivor(cluster: Cluster) -> None:
    lead, room, cand = a_room(cluster)
    first, second = cluster.peers
    a = await TermClient.open(first, room["id"], lead.token)  # its instance runs the shell
    b = await TermClient.open(second, room["id"], lead.token)
    c = await TermClient.open(second, room["id"], cand.token)
    try:
        await prompt(a)
        await prompt(b)
        old = await shell_id(b, "OLD")
        await b.run("export KEEP=K$((5+5))", r"\$ ")
        await b.run("echo kept > notes.txt; echo lost > /tmp/lost; echo S$((2+3))", "S5")
        await asyncio.sleep(1.5)  # workspace -> tree (300 ms) -> the log (group commit)

        first.kill()  # kill -9: its shell dies with it (--die-with-parent)
        since_b, since_c = len(b.messages), len(c.messages)
        gone = await b.wait_status("exited", timeout=4 * LEASE + 5, since=since_b)
        assert "stopped" in gone["reason"]
        await c.wait_status("exited", since=since_c)
        await b.wait_output("Press a key")

        # The next keystroke on the survivor claims the shell there, from the tree.
        start = len(b.output)
        await b.type("echo NEW=$$ T$((6+6))\r")
        await b.wait_output(r"T12", start=start, timeout=15)
        await b.wait_status("running", since=since_b)
        await c.wait_status("running", since=since_c)
        await c.wait_output("a new shell, started")
        out = await b.run("cat notes.txt; ls /tmp/lost 2>&1; pwd; echo [$KEEP] Q$((9+9))",
                          "Q18")
        assert "kept" in out  # the tree
        assert "No such file" in out  # not the old sandbox
        assert "/workspace" in out
        assert "[]" in out  # not the old shell
        assert await shell_id(c, "NOW") != old
        await c.wait_output("Q18")
    finally:
        for client in (a, b, c):
            await client.close()


async def test_the_idle_stop_counts_the_sockets_of_every_live_instance(
    idle_cluster: Cluster,
) -> None:
    lead, room, _ = a_room(idle_cluster)
    first, second = idle_cluster.peers
    a = await TermClient.open(first, room["id"], lead.token)  # its instance runs the shell
    b = await TermClient.open(second, room["id"], lead.token)
    try:
        await prompt(a)
        await prompt(b)
        await a.run("export KEEP=K$((5+5))", r"\$ ")
        await a.close()
        # No socket on the shell's instance, one on the other: the shell stays.
        await asyncio.sleep(IDLE * 2)
        out = await b.run("echo [$KEEP] A$((1+1))", "A2")
        assert "[K10]" in out

        # The other instance dies with its socket: after a lease without a word from it and
        # the idle time, the shell stops; the next socket gets a new one.
        second.kill()
        await asyncio.sleep(LEASE + IDLE + 2)
        c = await TermClient.open(first, room["id"], lead.token)
        try:
            await prompt(c)
            out = await c.run("echo [$KEEP] B$((2+2))", "B4")
            assert "[]" in out
        finally:
            await c.close()
    finally:
        await b.close()


async def test_the_shell_and_its_relay_outlast_a_redis_restart(
    private_cluster: Cluster, private_redis: PrivateRedis
) -> None:
    lead, room, _ = a_room(private_cluster)
    first, second = private_cluster.peers
    a = await TermClient.open(first, room["id"], lead.token)
    b = await TermClient.open(second, room["id"], lead.token)
    try:
        await prompt(a)
        await prompt(b)
        await b.run("export KEEP=K$((5+5))", r"\$ ")
        since = len(b.messages)
        private_redis.stop()  # Redis restarts empty: the lease and the frames in flight go
        await asyncio.sleep(1)
        private_redis.start()
        # The relaying instance resets its sockets and gets the recent output again.
        await b.wait_status("running", timeout=30, since=since)
        out = await b.run("echo [$KEEP] Z$((4+4))", "Z8", timeout=20)
        assert "[K10]" in out  # the same shell
        await a.wait_output("Z8")
        assert not [m for m in b.messages[since:] if m.get("state") == "exited"]
    finally:
        await a.close()
        await b.close()
