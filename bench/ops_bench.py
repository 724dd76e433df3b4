"""Backup and purge on a database of realistic size (docs/operations.md).

    .venv/bin/python bench/ops_bench.py [--rooms 200] [--updates 2000]
                                        [--database-url postgresql+asyncpg://...]

Fills a fresh database (default: SQLite in a temporary directory) with ``--rooms`` ended
interviews, each with ``--updates`` Yjs updates of about 40 bytes and 50 chat messages, then
prints the time and size of ``codepair backup``, the time of a restore into an empty
database, and the time of purging them all (``purge_in_batches``), with its slowest
transaction: how long the purge can hold up the hub's group commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.migrate import upgrade
from codepair.db.models.accounts import Role, User
from codepair.db.models.interviews import ChatMessage, Room
from codepair.db.models.record import YUpdate
from codepair.domain.operations import backup, retention

PG_ADMIN = os.environ.get("CODEPAIR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def fill(settings: Settings, rooms: int, updates: int) -> None:
    engine = create_engine(settings)
    factory = session_factory(engine)
    ended = datetime.now(UTC) - timedelta(days=400)
    async with transaction(factory) as db:
        user = User(email="bench@example.com", name="Bench", role=Role.lead, password_hash="x")
        db.add(user)
        await db.flush()
        owner = user.id
    for r in range(rooms):
        room_id = f"bench{r:07d}"
        async with transaction(factory) as db:
            await db.execute(
                insert(Room).values(
                    id=room_id,
                    candidate_name="C",
                    owner_id=owner,
                    ended_at=ended,
                    created_at=ended,
                    updated_at=ended,
                    title="",
                    language="python",
                    duration_minutes=60,
                    runs_enabled=True,
                )
            )
            await db.execute(
                insert(YUpdate),
                [
                    {
                        "room_id": room_id,
                        "doc": "code",
                        "seq": i + 1,
                        "update": os.urandom(40),
                        "at": ended,
                        "author": "user:1",
                    }
                    for i in range(updates)
                ],
            )
            await db.execute(
                insert(ChatMessage),
                [
                    {
                        "room_id": room_id,
                        "author_name": "C",
                        "author_role": "candidate",
                        "text": "hello " * 10,
                        "sent_at": ended,
                    }
                    for _ in range(50)
                ],
            )
    await engine.dispose()


async def purge_all(settings: Settings) -> tuple[float, float, int]:
    engine = create_engine(settings)
    factory = session_factory(engine)
    slowest = 0.0
    batch_started = time.perf_counter()

    async def on_batch(_ids: list[str]) -> None:
        nonlocal slowest, batch_started
        now = time.perf_counter()
        slowest = max(slowest, now - batch_started)
        batch_started = now

    started = time.perf_counter()
    out = await retention.purge_in_batches(factory, settings, on_batch=on_batch)
    total = time.perf_counter() - started
    await engine.dispose()
    return total, slowest, len(out.rooms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = Settings(
            data_dir=data / "live", database_url=args.database_url, retention_days=30
        )
        upgrade(settings)
        started = time.perf_counter()
        asyncio.run(fill(settings, args.rooms, args.updates))
        print(
            f"filled {args.rooms} rooms x {args.updates} updates "
            f"in {time.perf_counter() - started:.1f} s ({settings.database_url.split(':')[0]})"
        )

        file = data / "bench.backup"
        started = time.perf_counter()
        backup.backup(settings, file)
        took = time.perf_counter() - started
        print(f"backup: {took:.2f} s, {file.stat().st_size / 2**20:.1f} MiB")

        if settings.is_sqlite:
            target = Settings(data_dir=data / "restored", database_url="")
        else:
            name = f"codepair_bench_{secrets.token_hex(4)}"
            os.system(
                f"psql postgresql://postgres@127.0.0.1:5432/test -qc 'CREATE DATABASE {name}'"
            )
            target = Settings(database_url=args.database_url.rsplit("/", 1)[0] + "/" + name)
        started = time.perf_counter()
        backup.restore(target, file)
        print(f"restore into an empty database: {time.perf_counter() - started:.2f} s")
        if not settings.is_sqlite:
            os.system(f"psql {PG_ADMIN} -qc 'DROP DATABASE {name}'")

        total, slowest, n = asyncio.run(purge_all(settings))
        print(
            f"purge: {n} rooms in {total:.2f} s ({total / max(n, 1) * 1000:.1f} ms a room), "
            f"slowest transaction ({retention.PURGE_BATCH} rooms) {slowest * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
