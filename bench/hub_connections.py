"""Memory and sync time of 2,000 connections, each round on freshly started servers.

    .venv/bin/python bench/hub_connections.py [--rounds 3] [--conns 2000]
                                              [--server uvicorn,uvicorn-asgi,granian]

``hub_bench.py`` opens its connections after the saturation run, on a heap that run has
already grown: Python and Node reuse the memory it freed, so "RSS added" there reads near
zero for both. Here each server is started for the connection run alone, which shows what
the sockets themselves cost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import Target, ensure_node_modules, make_rooms, node_server, our_server

NODE = "y-websocket 2.1.0 (Node)"


def measure(kind: str, conns: int) -> dict[str, float]:
    """One connection run on a fresh server: sync seconds, RSS before and added."""
    if kind == "node":
        with node_server() as ref:
            pid = int(ref["children"][0]) if ref["children"] else ref["pid"]
            rooms = [f"room-{i}" for i in range(100)]
            target = Target(kind, pid, f"ws://127.0.0.1:{ref['port']}/{{room}}", rooms)
            result, before, during = target.connect_many(rooms, conns)
    else:
        with our_server(kind) as ours:
            token, rooms = make_rooms(ours["port"], ours["email"], 100)
            url = f"ws://127.0.0.1:{ours['port']}/ws/rooms/{{room}}/yjs/code?token={token}"
            result, before, during = Target(kind, ours["pid"], url, rooms).connect_many(
                rooms, conns
            )
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
    for _ in range(args.rounds):  # alternate, so that the machine's load weighs on all alike
        for kind in kinds:
            runs[kind].append(measure(kind, args.conns))
    print(
        f"| measure ({args.conns:,} connections, fresh servers, median of {args.rounds}) | "
        + " | ".join(NODE if k == "node" else f"CodePair hub ({k})" for k in kinds)
        + " |"
    )
    print("|---" * (len(kinds) + 1) + "|")

    def row(label: str, key: str, fmt: str) -> None:
        cells = [fmt.format(statistics.median(r[key] for r in runs[k])) for k in kinds]
        print(f"| {label} | " + " | ".join(cells) + " |")

    row("sync time", "seconds", "{:.2f} s")
    row("server RSS before", "before", "{:.0f} MiB")
    row("RSS added by the connections", "added", "{:.0f} MiB")
    print(runs, file=sys.stderr)


if __name__ == "__main__":
    main()
