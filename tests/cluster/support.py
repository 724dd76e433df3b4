"""A cluster on this machine: one core and two peer processes on Redis and PostgreSQL.

Also a TCP forwarder that stands in for the proxy in front of the peers (tests re-point it when
an instance dies), and an audit of a room's update log.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import redis

from tests.bus.servers import missing
from tests.support.server import Server, create_pg_database, drop_pg_database
from tests.support.ylog import audit_updates

SHARED_REDIS_URL = os.environ.get("CODEPAIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_services(redis_url: str = SHARED_REDIS_URL) -> None:
    """Skip without Redis and PostgreSQL, or fail when CI is set."""
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        missing(f"Redis is not reachable at {redis_url}: {exc}")
    pg_ready = shutil.which("pg_isready")
    if (
        pg_ready is None
        or subprocess.run([pg_ready, "-h", "127.0.0.1"], capture_output=True).returncode != 0
    ):
        missing("PostgreSQL is not running on 127.0.0.1:5432")


@dataclass
class Cluster:
    """``codepair serve --only core`` and two ``--only peer`` on one database and one Redis."""

    core: Server
    peers: list[Server]
    database_url: str
    servers: list[Server] = field(default_factory=list)

    def stop(self) -> None:
        for srv in self.servers:
            srv.kill()
        drop_pg_database(self.database_url)

    async def fetch_log(self, room_id: str, doc: str = "code") -> dict[str, Any]:
        """The document's whole update log in order (base64), with each row's author: the log
        is never cut (docs/record.md), so it alone holds the document."""
        dsn = self.database_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT update, author FROM yjs_updates WHERE room_id = $1 AND doc = $2"
                " ORDER BY seq, id",
                room_id,
                doc,
            )
        finally:
            await conn.close()
        b64 = base64.b64encode
        return {
            "snapshot": None,
            "updates": [b64(r["update"]).decode() for r in rows],
            "authors": [r["author"] for r in rows],
        }


def start_cluster(
    tmp: Path,
    redis_url: str,
    extra_env: dict[str, str] | None = None,
    peer_env: list[dict[str, str]] | None = None,
) -> Cluster:
    """Start the three processes (the peers in parallel: startup dominates the tests' time).

    ``peer_env``: each peer's own settings (two shells' uid ranges, say), after ``extra_env``.
    """
    database_url = create_pg_database()
    env = {
        "CODEPAIR_REDIS_URL": redis_url,
        "CODEPAIR_REDIS_CHANNEL_PREFIX": f"cluster-{secrets.token_hex(4)}:",
        "CODEPAIR_SECRET_KEY": secrets.token_urlsafe(48),
        # Tests type faster than people do.
        "CODEPAIR_YJS_MESSAGES_PER_SECOND": "100000",
        "CODEPAIR_YJS_MESSAGE_BURST": "100000",
        **(extra_env or {}),
    }

    def server(name: str, only: str, own: dict[str, str] | None = None) -> Server:
        return Server(
            data_dir=tmp / name,
            env_overrides={**env, "CODEPAIR_ONLY": only, **(own or {})},
            database_url=database_url,
        )

    core = server("core", "core")
    own = peer_env or [{}, {}]
    peers = [server("peer1", "peer", own[0]), server("peer2", "peer", own[1])]
    cluster = Cluster(core, peers, database_url, servers=[core, *peers])
    try:
        core.start()  # migrates the database first
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda s: s.start(), peers))
    except BaseException:
        cluster.stop()
        raise
    return cluster


async def audit_log(cluster: Cluster, room_id: str) -> dict[str, Any]:
    """Replay the room's log in Node's yjs: its text, items per client, overlapping entries."""
    return await audit_updates(await cluster.fetch_log(room_id))


class TcpProxy:
    """Forward 127.0.0.1:<port> to one backend port, as the proxy in front of the peers does.

    Re-point it with :attr:`target`; connections already open stay on their backend (and die
    with it), new ones go to the new target.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()  # the backend is gone: the client retries, as behind a proxy
            return
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.close()
