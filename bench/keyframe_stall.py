"""How long writing keyframes blocks the event loop, in-process, on a real database.

    .venv/bin/python bench/keyframe_stall.py [--updates 20000]
        [--database-url postgresql+asyncpg://...]

Writes the generated 60-minute interview of ``replay_bench.py`` (20,000 keystroke updates)
through the hub's ``UpdateLog`` in group commits of 100 rows and, as the hub does, writes
keyframes after every 500 rows. For each ``write_keyframes`` call it reports the longest
single callback the loop ran meanwhile (every asyncio ``Handle`` is timed: the loop can do
nothing else during one) and the lateness of a 1 ms timer task, which also counts the
loop's own overhead. The first call is cold (statements compiled, the thread pool started).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory
from codepair.db.migrate import upgrade
from codepair.db.reads import Reads
from codepair.hub.store import Batch, PendingUpdate, UpdateLog

sys.path.insert(0, str(Path(__file__).parent))
from replay_bench import generate

KEYFRAME_EVERY = 500


class LoopWatch:
    """The longest callback the loop ran, and the worst lateness of a 1 ms timer."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.late = 0.0
        original = asyncio.events.Handle._run
        watch = self

        def timed(handle: asyncio.events.Handle) -> None:
            started = time.perf_counter()
            original(handle)
            watch.longest = max(watch.longest, time.perf_counter() - started)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def reset(self) -> None:
        self.longest = self.late = 0.0

    async def tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.late = max(self.late, now - last - 0.001)
            last = now


async def setup(settings: Settings) -> tuple[Any, UpdateLog, Reads]:
    upgrade(settings)
    engine = create_engine(settings)
    reads = Reads(settings, engine)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, password_hash, is_active,"
                " created_at, updated_at) VALUES (1, 'l@x', 'L', 'lead', 'x', true, :t, :t)"
            ),
            {"t": now},
        )
        await conn.execute(
            text(
                "INSERT INTO rooms (id, title, candidate_name, owner_id, language,"
                " duration_minutes, runs_enabled, created_at, updated_at)"
                " VALUES ('r1', '', 'C', 1, 'python', 60, true, :t, :t)"
            ),
            {"t": now},
        )
    return engine, UpdateLog(session_factory(engine), reads), reads


def summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1e3 for s in seconds)
    return (
        f"{label}: median {ms[len(ms) // 2]:.1f} ms, p90 {ms[int(len(ms) * 0.9)]:.1f},"
        f" max {ms[-1]:.1f}"
    )


async def main(args: argparse.Namespace) -> None:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database_url)
    engine, log, reads = await setup(settings)
    updates = [u for u, _, _ in generate(args.updates, datetime.now(UTC))]
    watch = LoopWatch()
    walls: list[float] = []
    longest: list[float] = []
    late: list[float] = []
    last_seq = 0
    for start in range(0, len(updates), 100):
        pending = [PendingUpdate(u, datetime.now(UTC), "u") for u in updates[start : start + 100]]
        batch = Batch("r1", "code", pending, last_seq)
        await log.append([batch])
        last_seq = batch.last_seq or 0
        if (start + 100) % KEYFRAME_EVERY:
            continue
        ticker = asyncio.create_task(watch.tick())
        await asyncio.sleep(0.005)
        watch.reset()
        began = time.perf_counter()
        await log.write_keyframes("r1", "code")
        walls.append(time.perf_counter() - began)
        await asyncio.sleep(0.003)
        ticker.cancel()
        longest.append(watch.longest)
        late.append(watch.late)
    print(f"{settings.database_url.split(':')[0]}: {len(walls)} keyframes")
    print(summary("  write_keyframes, wall time", walls[1:]))
    print(summary("  longest loop callback meanwhile", longest[1:]))
    print(summary("  the same, the last 10 keyframes", longest[-10:]))
    print(summary("  1 ms timer's lateness", late[1:]))
    print(f"  first (cold) call: longest callback {longest[0] * 1e3:.1f} ms")
    await reads.aclose()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    asyncio.run(main(parser.parse_args()))
