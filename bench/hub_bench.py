"""Our hub next to the reference Node server (y-websocket@2.1.0, yjs@13.6.33), in one run.

    .venv/bin/python bench/hub_bench.py [--quick] [--server uvicorn,granian]

Starts ``codepair serve`` (SQLite, persistence on: every update goes through the group-commit
log) and ``npx y-websocket`` on free ports, drives both with the same lean Node clients
(bench/node/load.mjs), and prints a Markdown table:

- edit propagation p50/p99 (writer -> reader, one keystroke update at a time) with 1 and 20
  readers in the room;
- the update rate at which p99 passes 50 ms, for rooms with one writer and ten readers;
- time for 2,000 connections to sync (100 rooms of 20) and the server's memory with them open.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.support.api import PASSWORD, create_room, login  # noqa: E402
from tests.support.server import free_port  # noqa: E402

# Past 8,000/s the servers did not yet pass 50 ms on a quiet machine; the load generator
# (one Node process receiving rate x 10 frames a second) sets the ceiling somewhere above.
SATURATION_RATES = [250, 500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000, 24000]
CONNS = {False: 2000, True: 400}  # sockets in the connection run (full, --quick)


def ensure_node_modules() -> None:
    if not (NODE_DIR / "node_modules" / "y-websocket").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)


def process_tree(pid: int) -> Iterator[int]:
    """``pid`` and its descendants (granian runs a worker process; npx runs node)."""
    pids = [pid]
    while pids:
        p = pids.pop()
        yield p
        with contextlib.suppress(FileNotFoundError):
            for task in Path(f"/proc/{p}/task").iterdir():
                pids.extend(int(c) for c in (task / "children").read_text().split())


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far."""
    total = 0.0
    for p in process_tree(pid):
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_idle(pid: int, timeout: float = 120) -> float:
    """Wait until the server has finished earlier work (under 5% of a core for 0.5 s);
    returns the seconds waited. After the saturation run ours still writes its update log
    (hundreds of thousands of updates, compactions); the connection run must not be
    measured on top of that."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.025:
            break
    return time.monotonic() - started


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


# Server kinds: ours under uvicorn (the Yjs socket on the hub's own protocol), the same with
# the Yjs socket on the ASGI route as before ADR 6, and under granian (ASGI).
KINDS = {"uvicorn": {}, "uvicorn-asgi": {"CODEPAIR_HUB_WIRE": "false"}, "granian": {}}


@contextlib.contextmanager
def our_server(kind: str) -> Iterator[dict[str, Any]]:
    server_kind = kind.removesuffix("-asgi")
    data = Path(tempfile.mkdtemp(prefix="codepair-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEPAIR_")}
    env.update(
        CODEPAIR_DATA_DIR=str(data),
        CODEPAIR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        CODEPAIR_LOG_LEVEL="WARNING",
        CODEPAIR_ROOMS_PER_MINUTE_PER_USER="100000",
        CODEPAIR_LOGIN_PER_MINUTE_PER_IP="100000",
        # One writer per room sends up to 400 updates/s in the saturation run; the default
        # per-socket cap (100/s, bursts of 500) is for people typing.
        CODEPAIR_YJS_MESSAGES_PER_SECOND="100000",
        CODEPAIR_YJS_MESSAGE_BURST="100000",
    )
    env.update(KINDS[kind])
    # Extra settings for experiments, e.g. HUB_BENCH_ENV='{"CODEPAIR_GROUP_COMMIT_MS": "1000"}'.
    env.update(json.loads(os.environ.get("HUB_BENCH_ENV", "{}")))
    email = "bench@example.com"
    subprocess.run(
        [
            VENV_BIN / "codepair",
            "create-user",
            email,
            "--name",
            "Bench",
            "--role",
            "lead",
            "--password",
            PASSWORD,
        ],
        env=env,
        cwd=data,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [VENV_BIN / "codepair", "serve", "--port", str(port), "--server", server_kind],
        env=env,
        cwd=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_port(port)
        info = {"port": port, "pid": proc.pid, "env": env, "data": data, "email": email}
        yield info
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def node_server() -> Iterator[dict[str, Any]]:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    proc = subprocess.Popen(
        ["npx", "--no-install", "y-websocket"],
        cwd=NODE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            time.sleep(0.1)
        # npx is a wrapper: measure the node process that serves.
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        yield {"port": port, "pid": proc.pid, "children": children}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


class Target:
    """A server under test: how to name its rooms' URLs and read its memory."""

    def __init__(self, name: str, pid: int, url_template: str, rooms: list[str]) -> None:
        self.name = name
        self.pid = pid
        self.url = url_template
        self.rooms = rooms

    def load(self, mode: str, rooms: list[str], **params: Any) -> dict[str, Any]:
        cmd = ["node", "load.mjs", mode, "--url", self.url, "--rooms", ",".join(rooms)]
        for key, value in params.items():
            cmd += [f"--{key}", str(value)]
        out = subprocess.run(cmd, cwd=NODE_DIR, check=True, capture_output=True, text=True)
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    @contextlib.contextmanager
    def holding(self, rooms: list[str], conns: int) -> Iterator[dict[str, Any]]:
        """``conns`` sockets over ``rooms``, open (and synced) while the block runs."""
        cmd = ["node", "load.mjs", "connect", "--url", self.url, "--rooms", ",".join(rooms)]
        cmd += ["--conns", str(conns)]
        proc = subprocess.Popen(
            cmd, cwd=NODE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdin is not None
        try:
            yield dict(json.loads(proc.stdout.readline()))
        finally:
            proc.stdin.write("done\n")
            proc.stdin.flush()
            proc.wait(timeout=60)

    def connect_many(self, rooms: list[str], conns: int) -> tuple[dict[str, Any], float, float]:
        """Open ``conns`` sockets; returns the result, memory before and with them open."""
        before = rss_mib(self.pid)
        with self.holding(rooms, conns) as result:
            time.sleep(1.0)
            during = rss_mib(self.pid)
        return result, before, during


def make_rooms(port: int, email: str, count: int) -> tuple[str, list[str]]:
    server = type("S", (), {"url": f"http://127.0.0.1:{port}"})()
    lead = login(server, email)  # type: ignore[arg-type]
    rooms = [create_room(server, lead)["id"] for _ in range(count)]  # type: ignore[arg-type]
    return lead.token, rooms


def saturation_rate(steps: list[dict[str, Any]]) -> str:
    for step in steps:
        if step["p99"] is None or step["p99"] > 50 or step["lost"] or step["closed"]:
            return f"{step['rate']:,}/s"
    return f"> {steps[-1]['rate']:,}/s"


def run(target: Target, quick: bool) -> dict[str, Any]:
    r = target.rooms
    res: dict[str, Any] = {}
    n = 300 if quick else 1000
    res["prop1"] = target.load("propagation", r[0:1], readers=1, updates=n, rate=100)
    res["prop20"] = target.load("propagation", r[1:2], readers=20, updates=n, rate=100)
    rates = SATURATION_RATES[:4] if quick else SATURATION_RATES
    res["sat"] = target.load(
        "saturation", r[2:22], readers=10, rates=",".join(map(str, rates)), seconds=3
    )
    conns = CONNS[quick]
    res["busy_after_saturation"] = wait_idle(target.pid)
    res["conn"], res["rss_before"], res["rss_during"] = target.connect_many(r[22:122], conns)
    return res


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.2f} ms"


def table(results: dict[str, dict[str, Any]], quick: bool = False) -> str:
    names = list(results)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")

    row("propagation p50, 1 reader", lambda x: fmt(x["prop1"]["p50"]))
    row("propagation p99, 1 reader", lambda x: fmt(x["prop1"]["p99"]))
    row("propagation p50, 20 readers", lambda x: fmt(x["prop20"]["p50"]))
    row("propagation p99, 20 readers", lambda x: fmt(x["prop20"]["p99"]))
    row(
        "rate where p99 > 50 ms (20 rooms, 1 writer + 10 readers)",
        lambda x: saturation_rate(x["sat"]["steps"]),
    )
    row(
        "busy after the saturation run (our update log being written)",
        lambda x: f"{x['busy_after_saturation']:.1f} s",
    )
    row(f"sync time, {CONNS[quick]:,} connections", lambda x: f"{x['conn']['seconds']:.2f} s")
    row("server RSS with them open", lambda x: f"{x['rss_during']:.0f} MiB")
    row("RSS added by them", lambda x: f"{x['rss_during'] - x['rss_before']:.0f} MiB")
    return "\n".join(lines)


def median_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per measure, the run with the median value (the machine may be shared and noisy)."""

    def pick(key: Callable[[dict[str, Any]], float]) -> dict[str, Any]:
        ordered = sorted(runs, key=key)
        return ordered[len(ordered) // 2]

    def sat_rate(r: dict[str, Any]) -> float:
        for step in r["sat"]["steps"]:
            if step["p99"] is None or step["p99"] > 50 or step["lost"] or step["closed"]:
                return float(step["rate"])
        return float("inf")

    return {
        "prop1": {
            "p50": pick(lambda r: r["prop1"]["p50"])["prop1"]["p50"],
            "p99": pick(lambda r: r["prop1"]["p99"])["prop1"]["p99"],
        },
        "prop20": {
            "p50": pick(lambda r: r["prop20"]["p50"])["prop20"]["p50"],
            "p99": pick(lambda r: r["prop20"]["p99"])["prop20"]["p99"],
        },
        "sat": pick(sat_rate)["sat"],
        "conn": pick(lambda r: r["conn"]["seconds"])["conn"],
        "busy_after_saturation": pick(lambda r: r["busy_after_saturation"])[
            "busy_after_saturation"
        ],
        "rss_during": pick(lambda r: r["rss_during"])["rss_during"],
        "rss_before": pick(lambda r: r["rss_during"])["rss_before"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, for a smoke run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument(
        "--server",
        default="uvicorn",
        help="ours, comma-separated: uvicorn (the default), uvicorn-asgi, granian",
    )
    args = parser.parse_args()
    kinds = args.server.split(",")
    if not set(kinds) <= set(KINDS):
        parser.error(f"--server: some of {', '.join(KINDS)}")
    ensure_node_modules()
    runs: dict[str, list[dict[str, Any]]] = {}
    node_name = "y-websocket 2.1.0 (Node)"
    with contextlib.ExitStack() as stack:
        targets: dict[str, Target] = {}
        rooms: list[str] = []
        for kind in kinds:
            ours = stack.enter_context(our_server(kind))
            token, rooms = make_rooms(ours["port"], ours["email"], 122)
            url = f"ws://127.0.0.1:{ours['port']}/ws/rooms/{{room}}/yjs/code?token={token}"
            targets[f"CodePair hub ({kind})"] = Target(kind, ours["pid"], url, rooms)
        ref = stack.enter_context(node_server())
        node_pid = int(ref["children"][0]) if ref["children"] else ref["pid"]
        node_url = f"ws://127.0.0.1:{ref['port']}/{{room}}"
        targets[node_name] = Target("node", node_pid, node_url, rooms)
        # Alternate the servers, round after round, so that whatever else the machine
        # is doing weighs on both alike.
        for _ in range(args.rounds):
            for name, target in targets.items():
                runs.setdefault(name, []).append(run(target, args.quick))
    load = Path("/proc/loadavg").read_text().split()[:3]
    results = {name: median_result(r) for name, r in runs.items()}
    print(json.dumps(runs, indent=1, default=str), file=sys.stderr)
    print(table(results, args.quick))
    print(f"\nMedian of {args.rounds} alternating rounds; load average after: {' '.join(load)}")


if __name__ == "__main__":
    main()
