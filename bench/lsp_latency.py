"""Completion latency of the rooms' language servers, over the real socket.

    PYTHONPATH=$PWD .venv/bin/python bench/lsp_latency.py [--requests 60]

Starts a real server (SQLite), makes a Python and a TypeScript room whose code a real
y-websocket client types, and prints for each language:
- the first answer in a cold room (socket opened, server started, first completion answered);
- completion latency in the warm room, request to answer, p50 and p95, each request right
  after a keystroke (so every answer waits for the server-side sync of that keystroke), and
  the same request again with no edit between;
- the resident memory of the language server's sandbox (every process in it);
- the hub's keystroke latency (p50, p99) in a room of its own, alone, then while
  ``--busy-rooms`` (10) Python rooms each type and ask for completions every 0.1 s, each
  room's pyright working (the servers run at SCHED_IDLE); beside it, in turns, the same in a
  room of a second server on this machine that relays no language server (the control: what
  the busy servers cost any process here, not the hub's relaying).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from codepair.runner.langservers import tree_rss_kb
from tests.hub.nodeclients import NodeClients
from tests.intellisense.lspclient import labels, lsp, server_processes
from tests.support.api import bootstrap_lead, create_room
from tests.support.server import Server
from tests.support.typist import Typist

CASES = {
    # language: (the entry file, its text, the completion position, a label that must come,
    #            the process that is the server)
    "python": ("main.py", "import os\nos.", (1, 3), "path", "langserver.index.js"),
    "typescript": ("main.ts", 'const s = "word";\ns.', (1, 2), "toUpperCase", "cli.mjs"),
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(srv: Server, requests: int) -> None:
    lead = bootstrap_lead(srv)
    node = await NodeClients.start()
    try:
        for language, (path, code, (line, col), expected, proc_name) in CASES.items():
            room = create_room(srv, lead, language=language)
            await node.connect(language, srv.ws_url, room["id"], "code", lead.token)
            await node.call("setMeta", client=language, key="language", value=language)
            await node.call("insert", client=language, index=0, text=code)
            started = time.perf_counter()
            async with lsp(srv.ws_url, room["id"], language, lead.token) as sock:
                await sock.initialize()
                first = await sock.completion(path, line, col)
                cold = time.perf_counter() - started
                assert expected in labels(first), labels(first)[:10]
                times: list[float] = []
                for i in range(requests):
                    # A keystroke (a comment line above), then completion at the dot.
                    await node.call("insert", client=language, index=0, text="#\n" if
                                    language == "python" else "//\n")
                    t0 = time.perf_counter()
                    answer = await sock.completion(path, line + i + 1, col)
                    times.append(time.perf_counter() - t0)
                    assert expected in labels(answer)
                still: list[float] = []
                for _ in range(requests):  # the same request with no edit between
                    t0 = time.perf_counter()
                    answer = await sock.completion(path, line + requests, col)
                    still.append(time.perf_counter() - t0)
                assert srv.proc is not None
                pids = server_processes(srv.proc.pid, proc_name)
                memory = sum(tree_rss_kb(p) for p in pids) / 1024
            print(f"| {language} | {cold:.2f} s | {statistics.median(times) * 1e3:.0f} ms | "
                  f"{pct(times, 0.95) * 1e3:.0f} ms | {statistics.median(still) * 1e3:.0f} ms | "
                  f"{pct(still, 0.95) * 1e3:.0f} ms | {memory:.0f} MiB |")
    finally:
        await node.close()


async def busy_room(ws_url: str, token: str, room_id: str, node: NodeClients, name: str,
                    stop: asyncio.Event, pause: float) -> int:
    """A Python room whose client types a line and asks for a completion, again and again
    (``pause`` seconds between: 0.1 is a fast typist; each edit makes pyright work again)."""
    await node.connect(name, ws_url, room_id, "code", token)
    await node.call("setMeta", client=name, key="language", value="python")
    await node.call("insert", client=name, index=0, text="import os\nos.")
    answers = 0
    async with lsp(ws_url, room_id, "python", token) as sock:
        await sock.initialize()
        while not stop.is_set():
            await node.call("insert", client=name, index=0, text="x = 1\n")
            await sock.completion("main.py", answers + 2, 3)
            answers += 1
            await asyncio.sleep(pause)
    return answers


async def busy_rooms(ws_url: str, token: str, room_ids: list[str], pause: float,
                     seconds: float) -> int:
    node = await NodeClients.start()
    try:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(busy_room(ws_url, token, rid, node, f"busy{i}", stop, pause))
                 for i, rid in enumerate(room_ids)]
        await asyncio.sleep(seconds)
        stop.set()
        return sum(await asyncio.gather(*tasks))
    finally:
        await node.close()


def _busy_process(ws_url: str, token: str, room_ids: list[str], pause: float, seconds: float,
                  answered: Any) -> None:
    # The busy rooms' clients stand for people on other machines: on this one they take
    # only CPU that the server and the typist leave (SCHED_IDLE, inherited by their Node).
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    answered.value = asyncio.run(busy_rooms(ws_url, token, room_ids, pause, seconds))


async def interleaved(typists: list[Typist], keys: int, chunk: int = 50) -> list[list[float]]:
    """``keys`` keystrokes from each typist, taking turns ``chunk`` at a time (so a drift in
    the machine's load falls on both alike)."""
    out: list[list[float]] = [[] for _ in typists]
    for _ in range(0, keys, chunk):
        for typist, times in zip(typists, out, strict=True):
            times += await typist.keystrokes(chunk)
    return out


async def keystrokes_beside_busy_servers(srv: Server, control: Server, rooms: int, keys: int,
                                         pause: float) -> None:
    """The typist in this process, the busy rooms' clients in another (at SCHED_IDLE: they
    stand for people on other machines). A second typist types into a room of ``control``, a
    second server on this machine that has no language server to relay: what the busy
    servers cost any process of the machine, against which the hub's own share is seen."""
    lead, other = bootstrap_lead(srv), bootstrap_lead(control)
    typing_room, control_room = create_room(srv, lead), create_room(control, other)
    room_ids = [create_room(srv, lead, language="python")["id"] for _ in range(rooms)]
    async with (Typist(srv, typing_room["id"], lead.token) as typist,
                Typist(control, control_room["id"], other.token) as bystander):
        await interleaved([typist, bystander], 50)  # warm
        quiet = await interleaved([typist, bystander], keys)
        answered = multiprocessing.Value("i", 0)
        seconds = 20 + keys * 2 * 0.03
        child = multiprocessing.Process(target=_busy_process, args=(
            srv.ws_url, lead.token, room_ids, pause, seconds, answered))
        child.start()
        await asyncio.sleep(20)  # every room's pyright started and answering
        during = await interleaved([typist, bystander], keys)
        await asyncio.to_thread(child.join)
    print(f"\nkeystrokes, {keys} each, typed in turns 50 at a time (ms):")
    print("| | this server p50 | p99 | a second server p50 | p99 |\n|---|---|---|---|---|")
    for label, (hub, ctl) in (("alone", quiet), (
            f"{rooms} rooms typing every {pause:g} s, pyright answering ({answered.value} "
            "completions)", during)):
        print(f"| {label} | {pct(hub, 0.5):.2f} | {pct(hub, 0.99):.2f} | {pct(ctl, 0.5):.2f} | "
              f"{pct(ctl, 0.99):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--busy-rooms", type=int, default=10)
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--busy-pause", type=float, default=0.1,
                        help="seconds between a busy room's edits (0: flat out)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(data_dir=Path(tmp)).start()
        try:
            print(f"completion over /ws/rooms/ID/lsp/LANG, {args.requests} warm requests each")
            print("| language | first answer, cold room | after a keystroke p50 | p95 "
                  "| no edit between p50 | p95 | server memory |")
            print("|---|---|---|---|---|---|---|")
            asyncio.run(bench(srv, args.requests))
            if args.busy_rooms:
                with tempfile.TemporaryDirectory() as other:
                    control = Server(data_dir=Path(other)).start()
                    try:
                        asyncio.run(keystrokes_beside_busy_servers(
                            srv, control, args.busy_rooms, args.keys, args.busy_pause))
                    finally:
                        control.kill()
        finally:
            srv.kill()


if __name__ == "__main__":
    main()
