"""Short reads in one go, for the paths a rush of sockets takes (handshakes, room loads).

``await reads.run(fn)`` calls ``fn(conn)`` with a synchronous SQLAlchemy ``Connection``
inside one read-only transaction, so every query in ``fn`` sees the same snapshot, and a
write through it is an error.

On PostgreSQL ``fn`` runs in the async engine's greenlet on asyncpg, in a REPEATABLE READ,
READ ONLY transaction.

On SQLite ``fn`` runs on a plain sqlite3 connection of its own, not through aiosqlite, which
hops to its thread and back for every cursor call (four per query, one more for the rollback
at check-in): each hop is a GIL hand-off and two wake-ups, and under a busy loop the worker
waits up to the 5 ms switch interval for the GIL at each of them (ADR 7).

- With ``on_loop`` (the hub's socket handshakes and room loads) ``fn`` runs at once, on the
  event loop's thread: a rush of sockets makes many of these, and each is 0.1-0.3 ms (a room
  with the longest log compaction allows, 10,000 rows, about 25 ms, less than merging and
  applying those rows then takes on the loop anyway; ``bench/room_open.py``).
- Every other read (a REST request's principal check and listing, the deleted-room sweep,
  history) runs on one reader thread, one hand-off each way. On the loop, a room list held it
  for the whole request, and a keystroke arriving then waited behind it: with the dashboard
  at 200 lists a second, keystroke p99 rose by 2.1 ms, 1.7 ms of it for the loop (ADR 8,
  addendum of 2026-12-07). On the thread it rises by 0.7 ms, the CPU's share, and a list
  costs about a fifth more CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from codepair.config import Settings

T = TypeVar("T")

# How long a read waits for a lock. In WAL mode readers do not wait for writers; only a
# recovery or a WAL restart can hold one up, and the event loop waits with it.
SQLITE_BUSY_MS = 250


class Reads:
    """Runs short synchronous reads (see the module's docstring)."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self._engine = engine
        self._autocommit: AsyncEngine | None = None  # PostgreSQL, snapshot=False (ADR 8)
        # On SQLite, the reader on the loop's thread (True) and the one on its own (False).
        self._sqlite: dict[bool, SqliteReader] | None = None
        if settings.is_sqlite:
            self._sqlite = {
                True: SqliteReader(engine, thread=False),
                False: SqliteReader(engine, thread=True),
            }

    async def run(
        self, fn: Callable[[Connection], T], *, snapshot: bool = True, on_loop: bool = False
    ) -> T:
        """``fn(conn)`` in one read-only transaction; its exceptions are raised here.

        ``snapshot=False`` is for ``fn`` whose queries need not see one state of the
        database (a REST request's principal check and its one listing query): on
        PostgreSQL they then run in autocommit, without the BEGIN and ROLLBACK round trips
        and the pool's pre-ping (together half of a room list's CPU there; ADR 8). In
        autocommit nothing refuses a write: pass only functions that run prebuilt SELECTs.

        ``on_loop``: on SQLite, run ``fn`` on the event loop's thread rather than the reader
        thread (the hub's handshakes and loads; see the module's docstring).
        """
        if self._sqlite is not None:
            return await self._sqlite[on_loop].run(fn)
        if not snapshot:
            return await self._run_autocommit(fn)
        async with self._engine.connect() as conn:
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            return await conn.run_sync(fn)

    async def _run_autocommit(self, fn: Callable[[Connection], T]) -> T:
        """On a pool of its own without pre-ping: asyncpg's ping is a transaction around an
        empty query, three round trips on every checkout, as much CPU as the read. A read is
        safe to repeat, so a connection found dead (the server restarted) is replaced and
        the read tried once more instead."""
        if self._autocommit is None:
            self._autocommit = create_async_engine(
                self._engine.url,
                # 5 and no overflow: with 10 of overflow, a burst of requests opened and
                # closed an overflow connection per request (a new connection, with its TLS
                # offer, costs more than the read). The reads are short and the event loop,
                # not the connections, is what limits them: 5 serve as many lists a second
                # as 15 did (bench/rest_bench.py), and 15 kept open per process ran the test
                # suite's PostgreSQL out of connections (max_connections 100).
                pool_size=5,
                max_overflow=0,
                pool_pre_ping=False,
                isolation_level="AUTOCOMMIT",
            )
        for attempt in (1, 2):
            try:
                async with self._autocommit.connect() as conn:
                    return await conn.run_sync(fn)
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._sqlite is not None:
            for reader in self._sqlite.values():
                reader.close()

    async def aclose(self) -> None:
        """:meth:`close`, and the PostgreSQL autocommit pool's connections."""
        self.close()
        if self._autocommit is not None:
            await self._autocommit.dispose()


class SqliteReader:
    """One pysqlite connection to the database file, used by one thread only (the caller's,
    or with ``thread`` one of its own); each read runs in a read-only transaction."""

    def __init__(self, engine: AsyncEngine, *, thread: bool) -> None:
        self._sqlite = _sqlite_reader(engine)
        self._conn: Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        if thread:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="codepair-reads")

    async def run(self, fn: Callable[[Connection], T]) -> T:
        if self._thread is None:
            return self._read(fn)
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._read, fn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._sqlite.connect()
        conn = self._conn
        transaction = conn.begin()  # BEGIN: the queries below share one snapshot
        try:
            return fn(conn)
        finally:
            transaction.rollback()

    def close(self) -> None:
        if self._thread is None:
            self._close()
        else:
            self._thread.submit(self._close).result()  # its connection, in its thread
            self._thread.shutdown()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._sqlite.dispose()


def _sqlite_reader(engine: AsyncEngine) -> Engine:
    """A pysqlite engine with one connection to the async engine's database file."""
    sync = create_sync_engine(
        engine.url.set(drivername="sqlite+pysqlite"),
        poolclass=StaticPool,
        connect_args={"timeout": SQLITE_BUSY_MS / 1000},
    )

    @event.listens_for(sync, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling would not BEGIN before a SELECT, and two
        # queries could then see two states of the database; "begin" below does it instead.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(sync, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]

    return sync
