"""One instance against two on the same load: what the Redis bus adds to edit propagation.

    .venv/bin/python bench/cluster_bench.py [--rounds 3] [--seconds 5] [--rate 1000]

Starts, on a fresh PostgreSQL database each:
- one all-in-one ``codepair serve`` (no bus), and
- a cluster: ``--only core`` and two ``--only peer`` on the Redis at ``CODEPAIR_TEST_REDIS_URL``
  (default 127.0.0.1:6379, with a channel prefix of its own).

Both get the same load (bench/node/cluster_load.mjs): 10 rooms, each with one writer and ten
readers, 1,000 keystroke updates/s in total. On the cluster the writer is on peer 1 and the
readers alternate between peer 1 and peer 2, so half of them receive each update through Redis.
Rounds alternate between the two set-ups; the table shows the median of the rounds' p50/p99.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"
sys.path.insert(0, str(ROOT))

from tests.cluster.support import start_cluster  # noqa: E402
from tests.support.api import bootstrap_lead, create_room  # noqa: E402
from tests.support.server import Server, create_pg_database, drop_pg_database  # noqa: E402

REDIS_URL = os.environ.get("CODEPAIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
QUIET = {
    "CODEPAIR_LOG_LEVEL": "WARNING",
    "CODEPAIR_YJS_MESSAGES_PER_SECOND": "100000",
    "CODEPAIR_YJS_MESSAGE_BURST": "100000",
}
ROOMS = 10


def load(urls: list[str], rooms: list[str], rate: int, seconds: int) -> dict[str, Any]:
    """One run of the Node load generator; its JSON result."""
    cmd = ["node", "cluster_load.mjs", "--urls", "|".join(urls), "--rooms", ",".join(rooms)]
    cmd += ["--readers", "10", "--rate", str(rate), "--seconds", str(seconds)]
    out = subprocess.run(cmd, cwd=NODE_DIR, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def template(server: Server, token: str) -> str:
    return f"{server.ws_url}/ws/rooms/{{room}}/yjs/code?token={token}"


def median(runs: list[dict[str, Any]], group: str, key: str) -> float:
    return float(statistics.median(r[group][key] for r in runs))


def table(single: list[dict[str, Any]], two: list[dict[str, Any]], rate: int) -> str:
    """The Markdown table for docs/scaling.md."""
    rows = [
        ("one instance (all readers local)", single, "local"),
        ("two peers: readers on the writer's instance", two, "local"),
        ("two peers: readers on the other instance (via Redis)", two, "cross"),
    ]
    lines = [
        f"| {rate:,} updates/s, {ROOMS} rooms x (1 writer + 10 readers) | p50 ms | p99 ms | lost |",
        "|---|---:|---:|---:|",
    ]
    for label, runs, group in rows:
        lost = sum(r["lost"] for r in runs)
        p50, p99 = median(runs, group, "p50"), median(runs, group, "p99")
        lines.append(f"| {label} | {p50:.2f} | {p99:.2f} | {lost} |")
    added50 = median(two, "cross", "p50") - median(single, "local", "p50")
    added99 = median(two, "cross", "p99") - median(single, "local", "p99")
    lines.append(f"| added by the bus (cross - one instance) | {added50:+.2f} | {added99:+.2f} | |")
    # The same comparison inside the cluster: both reader groups share the machine's load.
    hop50 = median(two, "cross", "p50") - median(two, "local", "p50")
    hop99 = median(two, "cross", "p99") - median(two, "local", "p99")
    lines.append(
        f"| the Redis hop alone (cross - writer's instance) | {hop50:+.2f} | {hop99:+.2f} | |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rate", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="codepair-cluster-bench-"))
    single_db = create_pg_database()
    single = Server(data_dir=tmp / "single", env_overrides=QUIET, database_url=single_db)
    cluster = None
    try:
        single.start()
        cluster = start_cluster(tmp / "cluster", REDIS_URL, extra_env=QUIET)
        one_lead, two_lead = bootstrap_lead(single), bootstrap_lead(cluster.core)
        runs: dict[str, list[dict[str, Any]]] = {"single": [], "two": []}
        for n in range(args.rounds):
            seed = secrets.token_hex(2)
            rooms = [create_room(single, one_lead, title=f"b{seed}")["id"] for _ in range(ROOMS)]
            runs["single"].append(
                load([template(single, one_lead.token)], rooms, args.rate, args.seconds)
            )
            rooms = [create_room(cluster.core, two_lead)["id"] for _ in range(ROOMS)]
            urls = [template(peer, two_lead.token) for peer in cluster.peers]
            runs["two"].append(load(urls, rooms, args.rate, args.seconds))
            print(f"round {n + 1}: {json.dumps(runs)}", file=sys.stderr, flush=True)
        print(table(runs["single"], runs["two"], args.rate))
    finally:
        single.kill()
        drop_pg_database(single_db)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
