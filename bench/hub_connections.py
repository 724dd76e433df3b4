"""Memory and sync time of 2,000 connections, each round on freshly started servers.

    .venv/bin/python bench/hub_connections.py [--rounds 3] [--conns 2000]
                                              [--server uvicorn,uvicorn-asgi,granian]

``hub_bench.py`` opens its connections after the saturation run, on a heap that run has
already grown: Python and Node reuse the memory it freed, so "RSS added" there reads near
zero for both. Here each server is started for the connection run alone, which shows what
the sockets themselves cost: once into cold rooms (the sockets load them), once into rooms
that one open socket each has loaded already.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import Target, ensure_node_modules, make_rooms, node_server, our_server

NODE = "y-websocket 2.1.0 (Node)"


def measure(kind: str, conns: int, warm: bool) -> dict[str, float]:
    """One connection run on a fresh server: sync seconds, RSS before and added.

    ``warm``: one socket per room is opened first and stays open, so that the rooms are
    loaded (and, for us, the database paths run once) before memory is read: what the
    sockets themselves cost, without what the first use of a room or a query costs.
    """
    with contextlib.ExitStack() as stack:
        if kind == "node":
            ref = stack.enter_context(node_server())
            pid = int(ref["children"][0]) if ref["children"] else ref["pid"]
            rooms = [f"room-{i}" for i in range(100)]
            target = Target(kind, pid, f"ws://127.0.0.1:{ref['port']}/{{room}}", rooms)
        else:
            ours = stack.enter_context(our_server(kind))
            token, rooms = make_rooms(ours["port"], ours["email"], 100)
            url = f"ws://127.0.0.1:{ours['port']}/ws/rooms/{{room}}/yjs/code?token={token}"
            target = Target(kind, ours["pid"], url, rooms)
        if warm:
            stack.enter_context(target.holding(rooms, len(rooms)))
            time.sleep(1.0)
        result, before, during = target.connect_many(rooms, conns)
    if result["failed"]:
        raise RuntimeError(f"{kind}: {result['failed']} connections failed")
    return {"seconds": result["seconds"], "before": before, "added": during - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conns", type=int, default=2000)
    parser.add_argument("--server", default="uvicorn,uvicorn-asgi")
    args = parser.parse_args()
    ensure_node_modules()
    kinds = [*args.server.split(","), "node"]
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    warm: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):  # alternate, so that the machine's load weighs on all alike
        for kind in kinds:
            runs[kind].append(measure(kind, args.conns, warm=False))
            warm[kind].append(measure(kind, args.conns, warm=True))
    print(
        f"| measure ({args.conns:,} connections, fresh servers, median of {args.rounds}) | "
        + " | ".join(NODE if k == "node" else f"CodePair hub ({k})" for k in kinds)
        + " |"
    )
    print("|---" * (len(kinds) + 1) + "|")

    def row(label: str, key: str, fmt: str, source: dict[str, list[dict[str, float]]]) -> None:
        cells = [fmt.format(statistics.median(r[key] for r in source[k])) for k in kinds]
        print(f"| {label} | " + " | ".join(cells) + " |")

    row("sync time", "seconds", "{:.2f} s", runs)
    row("server RSS before", "before", "{:.0f} MiB", runs)
    row("RSS added by the connections (rooms loaded by them)", "added", "{:.0f} MiB", runs)
    row("sync time, rooms already loaded", "seconds", "{:.2f} s", warm)
    row("RSS added by the connections, rooms already loaded", "added", "{:.0f} MiB", warm)
    print({"cold": runs, "warm": warm}, file=sys.stderr)


if __name__ == "__main__":
    main()
