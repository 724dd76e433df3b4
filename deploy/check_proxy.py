"""Run deploy/Caddyfile for real in front of one core and two peers, and check the routing.

No Docker here, so the compose network is imitated: inside a private mount namespace, caddy
sees an /etc/hosts where ``core``, ``peer1`` and ``peer2`` are 127.0.0.4, .2 and .3, and the
three CodePair processes listen on those addresses, port 8000, as in compose. They share one
SQLite database (or ``CODEPAIR_DATABASE_URL``) and a private ``redis-server``. Checks:

- REST goes to core, /ws/ to the peers, /metrics is not public;
- chat crosses from a socket on one peer to a socket on the other (the Redis bus), also after
  Redis is killed and restarted under them;
- WebSocket upgrades pass through, and new sockets are spread over both peers;
- after ``kill -9`` of one peer, new sockets still open (on the other);
- the socket's token does not reach the proxy's access log.

    .venv/bin/python deploy/check_proxy.py      (as root: it needs ``unshare -m``)
"""

# A one-shot check script: blocking set-up calls are fine here.
# ruff: noqa: ASYNC220, ASYNC221, ASYNC230

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
HOSTS = {"peer1": "127.0.0.2", "peer2": "127.0.0.3", "core": "127.0.0.4"}
CODEPAIR = str(ROOT / ".venv" / "bin" / "codepair")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.1)


def connections_to(address: str) -> int:
    """Established TCP connections from the proxy to ``address``:8000."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", "dst", f"{address}:8000"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return len([line for line in out.splitlines() if line.strip()])


def check(condition: bool, what: str) -> None:
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


async def _chat_arrives(ws: websockets.ClientConnection, text: str) -> bool:
    """Whether a chat message with ``text`` arrives on ``ws`` within 5 s (others are skipped)."""
    try:
        async with asyncio.timeout(5):
            while True:
                message: dict[str, Any] = json.loads(await ws.recv())
                if message.get("type") == "chat.message" and message["message"]["text"] == text:
                    return True
    except TimeoutError:
        return False


async def _gaps(address: str) -> float:
    """How many "reconnected" gaps the instance's bus has reported (from its /metrics)."""
    async with httpx.AsyncClient(timeout=2) as http:
        text = (await http.get(f"http://{address}:8000/metrics")).text
    prefix = 'codepair_bus_gaps_total{reason="reconnected"} '
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="codepair-proxy-"))
    env = {
        **os.environ,
        "CODEPAIR_DATA_DIR": str(work),
        "CODEPAIR_SECRET_KEY": secrets.token_urlsafe(48),
    }
    # A private Redis, so that the check can restart it under the running instances.
    redis_port = free_port()
    redis_cmd = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(work)]  # fmt: skip
    env["CODEPAIR_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    port = free_port()
    env["CODEPAIR_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: open(work / f"{name}.log", "wb") for name in [*HOSTS, "caddy"]}  # noqa: SIM115
    try:
        processes["redis"] = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
        subprocess.run([CODEPAIR, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run(
            [CODEPAIR, "create-user", "lead@example.org", "--name", "Lead", "--role", "lead",
             "--password", "proxy-check-password"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        for name, address in HOSTS.items():
            only = "core" if name == "core" else "peer"
            processes[name] = subprocess.Popen(
                [CODEPAIR, "serve", "--host", address, "--port", "8000", "--only", only,
                 "--no-migrate", "--server", os.environ.get("CHECK_SERVER", "granian")],
                env=env, stdout=logs[name], stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        for address in HOSTS.values():
            wait_http(f"http://{address}:8000/healthz")

        hosts = work / "hosts"
        hosts.write_text(
            "127.0.0.1 localhost\n" + "".join(f"{ip} {name}\n" for name, ip in HOSTS.items())
        )
        caddy_env = {**env, "CODEPAIR_DOMAIN": f"http://127.0.0.1:{port}",
                     "ACME_EMAIL": "ops@example.org", "XDG_DATA_HOME": str(work),
                     "XDG_CONFIG_HOME": str(work)}  # fmt: skip
        processes["caddy"] = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             f"mount --bind {hosts} /etc/hosts && exec caddy run --adapter caddyfile "
             f"--config {ROOT / 'deploy' / 'Caddyfile'}"],
            env=caddy_env, stdout=logs["caddy"], stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        await asyncio.sleep(1)  # one round of active health checks

        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            check((await http.get("/healthz")).status_code == 200, "GET /healthz through the proxy")
            check((await http.get("/metrics")).status_code == 404, "GET /metrics is not public")
            login = await http.post(
                "/api/auth/login",
                json={"email": "lead@example.org", "password": "proxy-check-password"},
            )
            check(login.status_code == 200, "POST /api/auth/login reaches core")
            token = login.json()["access_token"]
            auth = {"authorization": f"Bearer {token}"}
            room = await http.post("/api/rooms", json={"candidate_name": "Ada"}, headers=auth)
            check(room.status_code == 201, "POST /api/rooms reaches core")
            room_id = room.json()["id"]
            on_peer = await http.get(f"http://{HOSTS['peer2']}:8000/api/rooms", headers=auth)
            check(on_peer.status_code == 404, "a peer alone does not serve the REST API")

        # Straight to each peer first: a refusal there is the app's, not the proxy's.
        events = "/ws/rooms/{room}/events?token={token}"
        on_peer: dict[str, websockets.ClientConnection] = {}
        for peer in ("peer1", "peer2"):
            url = f"ws://{HOSTS[peer]}:8000" + events.format(room=room_id, token=token)
            on_peer[peer] = await websockets.connect(url)
            welcome = json.loads(await asyncio.wait_for(on_peer[peer].recv(), 5))
            check(welcome.get("type") == "welcome", f"a socket straight to {peer} (no proxy)")
        # The two peers share the room over the Redis bus: chat crosses from one to the other.
        await on_peer["peer1"].send(json.dumps({"type": "chat.send", "text": "across"}))
        arrived = await _chat_arrives(on_peer["peer2"], "across")
        check(arrived, "chat sent on peer1 arrives on peer2")

        processes["redis"].kill()
        processes["redis"].wait()
        processes["redis"] = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        # Each peer's bus counts the gap it reports once it has reconnected and subscribed
        # again; what was published before that is lost (and chat is not re-sent).
        for peer in ("peer1", "peer2"):
            while await _gaps(HOSTS[peer]) < 1:
                if time.monotonic() - started > 15:
                    check(False, f"{peer} reconnects to Redis")
                await asyncio.sleep(0.05)
        took = time.monotonic() - started
        await on_peer["peer2"].send(json.dumps({"type": "chat.send", "text": "after restart"}))
        check(
            await _chat_arrives(on_peer["peer1"], "after restart"),
            f"after a Redis restart the peers reconnect by themselves ({took:.2f} s) "
            "and chat crosses again, on the sockets opened before",
        )
        for ws in on_peer.values():
            await ws.close()
        ws_url = f"ws://127.0.0.1:{port}/ws/rooms/{room_id}/events?token={token}"
        before = {name: connections_to(HOSTS[name]) for name in ("peer1", "peer2")}
        sockets = []
        for _ in range(4):
            ws = await websockets.connect(ws_url)
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            sockets.append(ws)
        check(welcome.get("type") == "welcome", "WebSocket upgrade through the proxy: welcome")
        # Counted as new proxy-to-peer connections: health checks hold some of their own.
        spread = {name: connections_to(HOSTS[name]) - before[name] for name in before}
        check(min(spread.values()) >= 1, f"new sockets spread over both peers: {spread}")

        # The whole process group: granian's worker outlives a SIGKILL of its parent and goes
        # on serving the port (SO_REUSEPORT), which is not the crash this check is about.
        os.killpg(processes["peer1"].pid, signal.SIGKILL)
        processes["peer1"].wait()
        opened = 0
        started = time.monotonic()
        for _ in range(4):
            ws = await websockets.connect(ws_url, open_timeout=10)
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            opened += welcome.get("type") == "welcome"
            sockets.append(ws)
        took = time.monotonic() - started
        check(opened == 4, f"after kill -9 of peer1, 4 new sockets open on peer2 ({took:.2f} s)")
        for ws in sockets:
            await ws.close()

        await asyncio.sleep(0.5)
        access_log = (work / "caddy.log").read_text()
        check("/ws/rooms/" in access_log, "the proxy logs socket requests")
        check(token not in access_log, "the token never reaches the proxy's log")
    finally:
        for name, proc in processes.items():
            with contextlib.suppress(ProcessLookupError):
                if name == "redis":
                    proc.terminate()
                else:
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for fh in logs.values():
            fh.close()
        print(f"logs: {work}", file=sys.stderr)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except websockets.InvalidStatus as exc:
        response = exc.response
        print(f"FAIL  a socket was refused: {response.status_code} {response.body!r}")
        raise SystemExit(1) from None
