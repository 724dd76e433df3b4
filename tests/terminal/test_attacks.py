"""A candidate with a shell: each attack is contained, the server and other rooms go on, and
the terminal shows why (docs/terminal.md, "Threat model")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.server import UID_OFFSET, Server
from tests.terminal.client import TermClient, prompt
from tests.terminal.test_terminal import _uid_of


async def _shell(server: Server, room: dict[str, Any], token: str) -> TermClient:
    client = await TermClient.open(server, room["id"], token)
    await prompt(client)
    return client


async def _echo_seconds(client: TermClient, n: int) -> float:
    began = time.monotonic()
    await client.run(f"echo W$(({n}+1))", f"W{n + 1}", timeout=10)
    return time.monotonic() - began


async def test_a_fork_bomb_is_held_to_its_processes_and_a_restart_clears_it(
    server: Server, lead: Actor
) -> None:
    room, other = create_room(server, lead), create_room(server, lead)
    bomber = await _shell(server, room, join(server, room).token)
    bystander = await _shell(server, other, lead.token)
    watcher = await TermClient.open(server, room["id"], lead.token)
    try:
        await bomber.type("bomb() { bomb | bomb & }; bomb\r")
        await bomber.wait_output("Resource temporarily unavailable|retry", timeout=20)
        # The server and another room go on.
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert await _echo_seconds(bystander, 10) < 3.0
        # The processes are the shell uid's, and no more than its limit.
        out = subprocess.run(["ps", "-eo", "uid,comm"], capture_output=True, text=True).stdout
        uids = [int(line.split()[0]) for line in out.splitlines()[1:]
                if line.split()[1] == "bash"]
        assert max(uids.count(u) for u in set(uids)) <= 64
        since = len(watcher.messages)
        await watcher.send_json({"type": "restart"})
        await watcher.wait_status("running", timeout=20, since=since)
        await watcher.run("echo AFTER$((1+1))", "AFTER2", timeout=20)
    finally:
        for c in (bomber, bystander, watcher):
            await c.close()


async def test_filling_the_disk_fills_only_the_shells_own_space(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    shell = await _shell(server, room, join(server, room).token)
    try:
        free_before = os.statvfs("/").f_bavail
        out = await shell.run(
            "cat /dev/zero > one; for i in $(seq 1 12); do head -c 15M /dev/zero > f$i || break;"
            " done; df -h /workspace | tail -1; echo FULL$((1+1))", "FULL2", timeout=60)
        assert "File size limit exceeded" in out  # one file: at most 16 MiB
        assert "No space left on device" in out  # all of them: the workspace's 128 MiB
        lost = (free_before - os.statvfs("/").f_bavail) * os.statvfs("/").f_frsize
        assert lost < 64 * 1024 * 1024  # the host's disk did not take it
        await shell.run("rm -f f* one; echo FREED$((1+1))", "FREED2")
    finally:
        await shell.close()


async def test_an_output_flood_is_slowed_and_other_rooms_go_on(
    server: Server, lead: Actor
) -> None:
    room, other = create_room(server, lead), create_room(server, lead)
    flood = await _shell(server, room, lead.token)
    bystander = await _shell(server, other, lead.token)
    try:
        start = len(flood.output)
        await flood.type("head -c 100000000 /dev/zero | tr '\\0' y\r")
        await flood.wait_output("slows it down", start=start, timeout=20)
        began = time.monotonic()
        await asyncio.sleep(2.0)
        received = len(flood.output) - start
        rate = received / (time.monotonic() - began + 2.0)
        assert rate < 3 * 1024 * 1024  # about 1 MiB/s plus the burst, not the pipe's speed
        assert await _echo_seconds(bystander, 20) < 2.0
        await flood.type(b"\x03")  # Ctrl-C stops it
        await flood.run("echo STOP$((1+1))", "STOP2", timeout=30)
    finally:
        await flood.close()
        await bystander.close()


async def test_nothing_of_the_host_is_visible(server: Server, lead: Actor) -> None:
    room = create_room(server, lead)
    shell = await _shell(server, room, join(server, room).token)
    try:
        port = server.url.rsplit(":", 1)[1]
        data_dir = str(server.data_dir)
        out = await shell.run(
            "ls /proc | grep -c '^[0-9]'; grep -l 'code[p]air' /proc/*/cmdline 2>/dev/null | wc -l;"
            " env | grep -c CODEPAIR; env | grep -ci secret;"
            f" ls {data_dir} /root /work /etc/shadow 2>&1 | head -5;"
            " python3 -c \"import socket\nfor a in (('127.0.0.1', " + port + "),"
            " ('8.8.8.8', 53), ('10.0.0.1', 80)):\n try: socket.create_connection(a, 2);"
            " print('CONN' + 'ECTED', a)\n"
            " except OSError as e: print('REF' + 'USED', a, e.strerror)\";"
            " echo HOST$((1+1))",
            "HOST2", timeout=30)
        lines = [line.strip() for line in out.splitlines()]
        numbers = [int(line) for line in lines if line.isdigit()]
        assert numbers[0] < 10  # only the sandbox's own processes
        assert numbers[1:4] == [0, 0, 0]  # no server process, no server variables
        assert "CONNECTED" not in out
        assert out.count("REFUSED") == 3
        assert out.count("No such file or directory") >= 3
    finally:
        await shell.close()


async def test_signals_reach_only_the_sandbox(server: Server, lead: Actor) -> None:
    room = create_room(server, lead)
    shell = await _shell(server, room, join(server, room).token)
    try:
        assert server.proc is not None
        out = await shell.run(f"kill -9 {server.proc.pid}; kill -9 1; kill -9 -1;"
                              " echo SIG$((1+1))", "SIG2|exited", timeout=20)
        assert "SIG2" in out or "exited" in out
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert server.proc.poll() is None
    finally:
        await shell.close()


async def test_a_killed_server_leaves_no_process_behind(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory()
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    shell = await _shell(srv, room, lead.token)
    try:
        await shell.run("(sleep 777 &); nohup sleep 778 >/dev/null 2>&1 & echo BG$((1+1))", "BG2")
        assert _uid_of("sleep 777") is not None
    finally:
        srv.kill()
        await shell.close()
    for _ in range(50):
        if _uid_of("sleep 777") is None and _uid_of("sleep 778") is None:
            break
        await asyncio.sleep(0.1)
    assert _uid_of("sleep 777") is None and _uid_of("sleep 778") is None


async def test_an_idle_terminal_stops_its_shell(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_TERMINAL_IDLE_SECONDS": "1"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    shell = await _shell(srv, room, lead.token)
    await shell.run("(sleep 779 &); echo ID$((1+1))", "ID2")
    assert _uid_of("sleep 779") is not None
    await shell.close()
    for _ in range(60):
        if _uid_of("sleep 779") is None:
            break
        await asyncio.sleep(0.1)
    assert _uid_of("sleep 779") is None


async def test_memory_is_capped_for_the_whole_shell(
    server_factory: Callable[..., Server], server: Server, lead: Actor
) -> None:
    """Five processes of 100 MiB each stay under their own address-space cap; together they
    pass the shell's 256 MiB, and the kernel stops one inside the shell, never outside it. The
    terminal says why; the server and another room go on."""
    base = 60000 + UID_OFFSET + 300  # a uid range and memory groups of its own
    srv = server_factory({"CODEPAIR_TERMINAL_SHELL_MEMORY_MB": "256",
                          "CODEPAIR_TERMINAL_UID_BASE": str(base),
                          "CODEPAIR_TERMINAL_MAX_SHELLS": "4"})
    owner = bootstrap_lead(srv)
    room = create_room(srv, owner)
    shell = await _shell(srv, room, join(srv, room).token)
    other = create_room(server, lead)
    bystander = await _shell(server, other, lead.token)
    try:
        groups = [p for p in (Path(f"/sys/fs/cgroup/memory/codepair-terminal-{base}"),
                              Path(f"/sys/fs/cgroup/codepair-terminal-{base}")) if p.exists()]
        assert groups, "no memory cgroup for the shells (docs/terminal.md)"
        limits = [p.read_text().strip() for p in groups[0].glob("shell-*/memory.*")
                  if p.name in ("memory.limit_in_bytes", "memory.max")]
        assert limits == [str(256 * 1024 * 1024)]
        start = len(shell.output)
        hog = "import time; b = b'x' * (100 * 1024 * 1024); time.sleep(60)"
        await shell.type(f'for i in 1 2 3 4 5; do python3 -c "{hog}" & done; wait\r')
        await shell.wait_output("memory cap \\(256 MiB\\)", start=start, timeout=60)
        assert httpx.get(f"{srv.url}/healthz").status_code == 200
        assert await _echo_seconds(bystander, 30) < 3.0
        await shell.type(b"\x03")
        await shell.run("pkill -f time.sleep; echo MEM$((1+1))", "MEM2", timeout=30)
    finally:
        await shell.close()
        await bystander.close()
