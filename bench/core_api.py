"""Login and room-list throughput and latency under concurrent load against a running server.

Usage: start a server, then
    .venv/bin/python bench/core_api.py --url http://127.0.0.1:8000 [--concurrency 32]
With no --url, it starts its own server (SQLite, granian) on a free port in a temp dir.
Prints requests/s and p50/p99 latency for each endpoint, measured by an httpx client in this
process and, when Debian's ``wrk`` is installed, by wrk (a C client that takes less of the
machine's two cores away from the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.api import PASSWORD, bootstrap_lead
from tests.support.server import Server


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(
    name: str, url: str, concurrency: int, seconds: float, make_request: object
) -> None:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await make_request(client)  # type: ignore[operator]
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    print(
        f"{name:<22} {len(latencies) / elapsed:>9.1f} req/s"
        f"   p50 {statistics.median(latencies):7.1f} ms"
        f"   p99 {_pct(latencies, 0.99):7.1f} ms   errors {errors}   n={len(latencies)}"
    )


def _wrk(name: str, url: str, concurrency: int, seconds: float, script: str) -> None:
    """Run wrk with a Lua ``script`` that sets the request; print its rate and latencies."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + _WRK_REPORT)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "-s", fh.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    r = json.loads(line[5:])
    print(
        f"{name:<22} {r['rps']:>9.1f} req/s   p50 {r['p50'] / 1000:7.1f} ms"
        f"   p99 {r['p99'] / 1000:7.1f} ms   non-2xx {r['errors']}   n={r['n']}   (wrk)"
    )


_WRK_REPORT = """
function done(summary, latency, requests)
  io.write(string.format('JSON {"rps": %f, "p50": %f, "p99": %f, "errors": %d, "n": %d}\\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.status, summary.requests))
end
"""


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rooms", type=int, default=200)
    args = parser.parse_args()

    server = None
    if args.url is None:
        server = Server(data_dir=Path(tempfile.mkdtemp(prefix="codepair-bench-"))).start()
        args.url = server.url
    try:
        lead = bootstrap_lead(server) if server else None
        assert lead is not None, "with --url, create the data yourself"  # kept simple on purpose
        async with httpx.AsyncClient(base_url=args.url, timeout=30) as c:
            for i in range(args.rooms):
                r = await c.post(
                    "/api/rooms",
                    headers=lead.headers,
                    json={"candidate_name": f"Candidate {i}", "title": f"Round {i}"},
                )
                r.raise_for_status()
        print(
            f"server {args.url}, {args.rooms} rooms, concurrency {args.concurrency}, "
            f"{args.seconds:.0f} s per endpoint"
        )
        await _load(
            "POST /api/auth/login",
            args.url,
            args.concurrency,
            args.seconds,
            lambda c: c.post("/api/auth/login", json={"email": lead.email, "password": PASSWORD}),
        )
        await _load(
            "GET /api/rooms (20)",
            args.url,
            args.concurrency,
            args.seconds,
            lambda c: c.get("/api/rooms?limit=20", headers=lead.headers),
        )
        await _load(
            "GET /api/rooms?q=",
            args.url,
            args.concurrency,
            args.seconds,
            lambda c: c.get("/api/rooms?limit=20&q=candidate%201", headers=lead.headers),
        )
        if shutil.which("wrk"):
            body = json.dumps({"email": lead.email, "password": PASSWORD})
            _wrk(
                "POST /api/auth/login",
                args.url,
                args.concurrency,
                args.seconds,
                'wrk.method = "POST"\nwrk.path = "/api/auth/login"\n'
                f"wrk.body = {json.dumps(body)}\n"
                'wrk.headers["Content-Type"] = "application/json"\n',
            )
            _wrk(
                "GET /api/rooms (20)",
                args.url,
                args.concurrency,
                args.seconds,
                f'wrk.path = "/api/rooms?limit=20"\n'
                f'wrk.headers["Authorization"] = "Bearer {lead.token}"\n',
            )
    finally:
        if server:
            server.kill()


if __name__ == "__main__":
    asyncio.run(main())
