"""What a new room's first socket costs the database layer, in-process (ADR 7).

    .venv/bin/python bench/room_open.py [--rooms 300] [--rows 10000]
                                        [--database-url postgresql+asyncpg://...]

Prints the wall and CPU time per operation of:
- the handshake's check through ``Reads`` (``access_to_room``, one query), and the same
  answer through the async session (``authenticate`` + ``room_role``, as REST asks it);
- a new room's load through ``Reads``;
- the load of one document with ``--rows`` rows in its log, and merging them with
  ``merge_all`` against one ``merge_updates`` call.
Default: a fresh SQLite database in a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop
from pycrdt import Doc, Text, merge_updates

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.migrate import upgrade
from codepair.db.models.accounts import AuthSession, Role, User
from codepair.db.models.interviews import Room
from codepair.db.models.record import YUpdate
from codepair.db.reads import Reads
from codepair.db.updatelog import apply_all, merge_all
from codepair.domain.interviews.access import access_to_room, authenticate, room_role
from codepair.hub.store import UpdateLog
from codepair.security.tokens import issue_access_token

HOUR = timedelta(hours=1)


async def per_op(label: str, count: int, op: Callable[[int], Awaitable[object]]) -> None:
    for i in range(min(count, 20)):  # warm: compiled caches, the first connection
        await op(i)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await op(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"| {label} | {wall / count * 1e3:.3f} ms | {cpu / count * 1e3:.3f} ms |")


def keystrokes(count: int) -> list[bytes]:
    doc: Doc = Doc()  # type: ignore[type-arg]
    text = doc.get("code", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(count):
        text.insert(len(text), chr(ord("a") + i % 26))
    return updates


async def main(rooms: int, rows: int, database_url: str) -> None:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="codepair-bench-")),
                        database_url=database_url)  # fmt: skip
    upgrade(settings)
    engine = create_engine(settings)
    db = session_factory(engine)
    async with transaction(db) as session:
        session.add(User(id=1, email="b@example.com", name="B", role=Role.lead, password_hash="x"))
        await session.flush()
        session.add(AuthSession(id="s1", user_id=1, expires_at=datetime.now(UTC) + HOUR))
        for i in range(rooms):
            session.add(Room(id=f"r{i}", candidate_name="C", owner_id=1))
        session.add(Room(id="long", candidate_name="C", owner_id=1))
        await session.flush()
        updates = keystrokes(rows)
        session.add_all(
            YUpdate(room_id="long", doc="code", seq=i + 1, update=u, author="user:1")
            for i, u in enumerate(updates)
        )
    reads = Reads(settings, engine)
    log = UpdateLog(db, reads)
    key = settings.signing_key()
    token = issue_access_token(key, user_id=1, session_id="s1", role="lead", name="B", ttl=HOUR)

    async def check_reads(i: int) -> object:
        return await reads.run(lambda conn: access_to_room(conn, settings, token, f"r{i}"))

    async def check_session(i: int) -> object:
        async with db() as session:
            principal = await authenticate(session, settings, token)
            return await room_role(session, principal, f"r{i}")

    async def load_new(i: int) -> object:
        return await log.load(f"r{i}", "code", language=True)

    async def load_long(_i: int) -> object:
        return await log.load("long", "code")

    print(f"SQLAlchemy on {engine.url.get_backend_name()}, {rooms} rooms\n")
    print("| operation | wall | CPU |\n|---|---:|---:|")
    await per_op("handshake check, Reads (one query)", rooms, check_reads)
    await per_op("handshake check, async session (authenticate + room_role)", rooms, check_session)
    await per_op("load of a new room, Reads", rooms, load_new)
    await per_op(f"load of a {rows:,}-row log, Reads", 5, load_long)
    started = time.perf_counter()
    merge_all(updates)
    tree = time.perf_counter() - started
    started = time.perf_counter()
    merge_updates(*updates)
    flat = time.perf_counter() - started
    started = time.perf_counter()
    Doc().apply_update(merge_all(updates))
    whole = time.perf_counter() - started
    started = time.perf_counter()
    apply_all(Doc(), updates)
    chunked = time.perf_counter() - started
    print(f"| merging {rows:,} updates: merge_all | {tree * 1e3:.1f} ms | |")
    print(f"| merging {rows:,} updates: one merge_updates call | {flat * 1e3:.1f} ms | |")
    print(f"| applying {rows:,} updates: merge_all, one apply | {whole * 1e3:.1f} ms | |")
    print(f"| applying {rows:,} updates: apply_all (the load) | {chunked * 1e3:.1f} ms | |")
    reads.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=300)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    uvloop.run(main(args.rooms, args.rows, args.database_url))
