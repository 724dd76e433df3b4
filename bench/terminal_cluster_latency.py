"""The shared terminal across instances (docs/terminal.md, "Scale-out"):

    .venv/bin/python bench/terminal_cluster_latency.py [--keys 300]

One core and two peers on PostgreSQL and Redis (127.0.0.1, as tests/cluster/ starts them),
one room, two sockets: one on the instance that runs the shell, one on the other. Each types
``--keys`` characters one at a time into ``cat``'s line and times each to its echo on its own
socket: keystroke -> (bus -> shell's instance ->) shell -> (bus ->) socket. Prints p50 and p99
for both and the difference, which is what relaying costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.terminal_latency import QUIET, pct, type_and_time  # noqa: E402
from tests.cluster.support import SHARED_REDIS_URL, require_services, start_cluster  # noqa: E402
from tests.support.api import bootstrap_lead, create_room  # noqa: E402
from tests.support.server import UID_OFFSET  # noqa: E402
from tests.terminal.client import TermClient, prompt  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    require_services()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = start_cluster(
            Path(tmp), SHARED_REDIS_URL, extra_env=QUIET,
            peer_env=[{"CODEPAIR_TERMINAL_UID_BASE": str(60000 + UID_OFFSET + 100 * k)}
                      for k in range(2)],
        )
        try:
            lead = bootstrap_lead(cluster.core)
            room = create_room(cluster.core, lead, language="python")
            owner = await TermClient.open(cluster.peers[0], room["id"], lead.token)
            await prompt(owner)
            relayed = await TermClient.open(cluster.peers[1], room["id"], lead.token)
            await prompt(relayed)
            rows = []
            for name, client in (("on the shell's instance", owner),
                                 ("relayed from the other instance", relayed)):
                await type_and_time(client, 20)  # warm up
                samples = await type_and_time(client, args.keys)
                rows.append((name, statistics.median(samples), pct(samples, 0.99)))
            for name, p50, p99 in rows:
                print(f"| keystroke to echo, socket {name} | p50 {p50:.2f} ms | p99 {p99:.2f} ms |")
            print(f"| relaying adds | p50 {rows[1][1] - rows[0][1]:+.2f} ms "
                  f"| p99 {rows[1][2] - rows[0][2]:+.2f} ms |")
            await owner.close()
            await relayed.close()
        finally:
            cluster.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
