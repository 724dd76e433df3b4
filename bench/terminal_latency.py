"""The shared terminal's figures (issue 22, docs/terminal.md):

    .venv/bin/python bench/terminal_latency.py [--rooms 5] [--keys 200] [--idle 20]

Prints:
- keystroke to echo through the server (a client types one character, the same client sees
  it echoed), p50 and p99, with ``--rooms`` rooms typing at once, beside the same measure on
  a bare PTY (the same sandboxed shell, read and written by this process directly);
- socket open to the first prompt;
- the memory of ``--idle`` idle shells (resident memory of their processes, summed);
- the keystroke p99 of the other rooms while one room floods its output (``yes``).

A real server on a free port (SQLite), real sockets, real bubblewrap shells; run as root
(the shells drop to their own uids).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codepair.runner.shell import ShellLimits, ShellSandbox  # noqa: E402
from tests.support.api import bootstrap_lead, create_room  # noqa: E402
from tests.support.server import Server  # noqa: E402
from tests.terminal.client import TermClient, prompt  # noqa: E402

QUIET = {
    "CODEPAIR_LOG_LEVEL": "WARNING",
    "CODEPAIR_TERMINAL_INPUT_PER_SECOND": "100000",
    "CODEPAIR_TERMINAL_INPUT_BURST": "100000",
    "CODEPAIR_ROOMS_PER_MINUTE_PER_USER": "10000",
    "CODEPAIR_TERMINAL_MAX_SHELLS": "64",
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def type_and_time(client: TermClient, keys: int) -> list[float]:
    """Type ``keys`` characters one at a time (into ``cat``'s line), each timed to its echo."""
    await client.run("stty -icanon; cat > /dev/null", r"cat > /dev/null\r\n", timeout=10)
    samples = []
    for i in range(keys):
        char = "abcdefghijklmnopqrstuvwxyz"[i % 26]
        start = len(client.output)
        began = time.perf_counter()
        await client.type(char)
        await client.wait(lambda s=start, c=char: c.encode() in client.output[s:], 5)
        samples.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.005)
    await client.type(b"\x03")
    return samples


async def bare_pty(keys: int) -> list[float]:
    """The same shell without the server: this process writes the PTY and reads the echo."""
    sandbox = ShellSandbox(bwrap=shutil.which("bwrap"), uid_base=63000, limits=ShellLimits())
    shell = await sandbox.start(0, cols=80, rows=24)
    shell.release()
    loop = asyncio.get_running_loop()
    buffer = bytearray()
    arrived = asyncio.Event()

    def readable() -> None:
        try:
            buffer.extend(os.read(shell.master_fd, 65536))
        except OSError:
            return
        arrived.set()

    loop.add_reader(shell.master_fd, readable)

    async def until(data: bytes, start: int) -> None:
        while data not in buffer[start:]:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 5)

    try:
        await until(b"$ ", 0)
        os.write(shell.master_fd, b"stty -icanon; cat > /dev/null\r")
        await until(b"cat > /dev/null\r\n", 0)
        samples = []
        for i in range(keys):
            char = "abcdefghijklmnopqrstuvwxyz"[i % 26].encode()
            start = len(buffer)
            began = time.perf_counter()
            os.write(shell.master_fd, char)
            await until(char, start)
            samples.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.005)
    finally:
        loop.remove_reader(shell.master_fd)
        shell.kill()
        shell.proc.wait()
        os.close(shell.master_fd)
    return samples


def rss_kib_of_uids(uids: range) -> int:
    out = subprocess.run(["ps", "-eo", "uid,rss"], capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines()[1:]:
        uid, rss = line.split()
        if int(uid) in uids:
            total += int(rss)
    return total


async def main(args: argparse.Namespace) -> None:
    bare = await bare_pty(args.keys)
    print(f"| bare PTY (sandboxed shell, no server) | p50 {statistics.median(bare):.2f} ms "
          f"| p99 {pct(bare, 0.99):.2f} ms |")
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(data_dir=Path(tmp), env_overrides=QUIET).start()
        try:
            await run(srv, args, bare)
        finally:
            srv.stop()


async def run(srv: Server, args: argparse.Namespace, bare: list[float]) -> None:
    lead = bootstrap_lead(srv)
    rooms = [create_room(srv, lead) for _ in range(args.rooms + 1)]

    opens = []
    clients = []
    for room in rooms:
        began = time.perf_counter()
        client = await TermClient.open(srv, room["id"], lead.token)
        await prompt(client)
        opens.append((time.perf_counter() - began) * 1000)
        clients.append(client)
    print(f"| socket open to prompt ({len(opens)} rooms, one after another) | p50 "
          f"{statistics.median(opens):.0f} ms | max {max(opens):.0f} ms |")

    typing, flooder = clients[: args.rooms], clients[args.rooms]
    results = await asyncio.gather(*(type_and_time(c, args.keys) for c in typing))
    together = [s for r in results for s in r]
    p99 = pct(together, 0.99)
    print(f"| through the server, {args.rooms} rooms typing at once | p50 "
          f"{statistics.median(together):.2f} ms | p99 {p99:.2f} ms "
          f"| p99 over bare {p99 - pct(bare, 0.99):+.2f} ms |")

    await flooder.type("yes\r")
    await asyncio.sleep(1.0)
    results = await asyncio.gather(*(type_and_time(c, args.keys) for c in typing))
    flooded = [s for r in results for s in r]
    await flooder.type(b"\x03")
    print(f"| same, while another room floods (yes) | p50 {statistics.median(flooded):.2f} ms "
          f"| p99 {pct(flooded, 0.99):.2f} ms | p99 raised by {pct(flooded, 0.99) - p99:+.2f} ms |")
    for client in clients:
        await client.close()

    idle_rooms = [create_room(srv, lead) for _ in range(args.idle)]
    idle = []
    for room in idle_rooms:
        client = await TermClient.open(srv, room["id"], lead.token)
        await prompt(client)
        idle.append(client)
    await asyncio.sleep(1.0)
    base = int(srv.env()["CODEPAIR_TERMINAL_UID_BASE"])  # the shells' uids: base + slot
    kib = rss_kib_of_uids(range(base, base + 64))
    server_kib = int(Path(f"/proc/{srv.proc.pid}/status").read_text().split("VmRSS:")[1]
                     .split()[0]) if srv.proc else 0
    print(f"| {args.idle} idle shells | {kib / 1024:.1f} MiB resident in the sandboxes "
          f"({kib / args.idle / 1024:.2f} MiB a shell) "
          f"| server process {server_kib / 1024:.0f} MiB |")
    for client in idle:
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--idle", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
