"""What the take-home clock costs, in-process (docs/take-home.md, ADR 12).

    .venv/bin/python bench/take_home_clock.py [--attempts 10000] [--due 50]
                                              [--database-url postgresql+asyncpg://...]

Every core process sweeps once a second. With ``--attempts`` take-homes in the database (a
third not started, a third in progress, a third finished and graded) this prints the wall
and CPU time of:
- a sweep with nothing due (the cost paid every second, forever);
- a sweep that ends ``--due`` attempts past their deadline (ending each: the compare-and-set,
  the room's end and its timeline event), per attempt;
- how late past its deadline an attempt ends with the default 1 s sweep (the mean is half a
  sweep plus one sweep's work; measured here as the sweep's own time).
Default: a fresh SQLite database in a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.migrate import upgrade
from codepair.db.models.accounts import Role, User
from codepair.db.models.assessments import TakeHome
from codepair.db.models.interviews import Invite, Room
from codepair.domain.assessments.clock import TakeHomeClock
from codepair.domain.assessments.grading import Grader
from codepair.security.tokens import new_invite_token


async def fill(factory: object, attempts: int, now: datetime) -> None:
    async with transaction(factory) as session:  # type: ignore[arg-type]
        session.add(User(id=1, email="b@example.com", name="B", role=Role.lead, password_hash="x"))
        await session.flush()
        for i in range(attempts):
            room_id = f"th{i:08d}"
            session.add(Room(id=room_id, owner_id=1, candidate_name=f"C{i}", kind="take_home"))
            session.add(Invite(room_id=room_id, token=new_invite_token()))
        await session.flush()  # the rooms first: nothing ties a take-home to its room's row
        for i in range(attempts):
            room_id = f"th{i:08d}"
            th = TakeHome(room_id=room_id, time_limit_minutes=90, closes_at=now + timedelta(days=7),
                          answers={}, results=[])
            if i % 3 == 1:  # in progress
                th.started_at, th.deadline_at = now, now + timedelta(minutes=90)
            elif i % 3 == 2:  # finished and graded
                th.started_at, th.deadline_at = now - timedelta(hours=3), now - timedelta(hours=2)
                th.finished_at, th.outcome = th.deadline_at, "submitted"
                th.graded_at, th.passed, th.total = now, 2, 3
            session.add(th)
            if i % 1000 == 999:
                await session.flush()


async def make_due(factory: object, count: int, now: datetime) -> None:
    async with transaction(factory) as session:  # type: ignore[arg-type]
        rows = (await session.scalars(
            TakeHome.__table__.select().where(TakeHome.outcome.is_(None),
                                              TakeHome.started_at.is_not(None)).limit(count)
        )).all()
        for room_id in rows:
            th = await session.get(TakeHome, room_id)
            assert th is not None
            th.deadline_at = now - timedelta(seconds=1)


class NoGrading(Grader):
    """The sweep asks for ungraded attempts as in a server; grading itself is not measured
    here (it is the tests runs' cost: bench/question_tests.py)."""

    def __init__(self) -> None:
        pass

    async def grade(self, room_id: str) -> bool:
        return False


async def main(attempts: int, due: int, database_url: str) -> None:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="codepair-bench-")),
                        database_url=database_url)
    upgrade(settings)
    engine = create_engine(settings)
    factory = session_factory(engine)
    now = datetime.now(UTC)
    await fill(factory, attempts, now)

    async def ended(_room_id: str) -> None:
        return None

    clock = TakeHomeClock(settings, factory, NoGrading(), ended)
    for _ in range(20):
        await clock.run_once()
    sweeps = 200
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(sweeps):
        assert await clock.run_once() == []
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"attempts in the database: {attempts} ({settings.database_url.split(':')[0]})")
    print("| operation | wall | CPU |")
    print("|---|---|---|")
    print(f"| a sweep, nothing due | {wall / sweeps * 1e3:.3f} ms | {cpu / sweeps * 1e3:.3f} ms |")
    await make_due(factory, due, now)
    wall, cpu = time.perf_counter(), time.process_time()
    ended_ids = await clock.run_once()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(ended_ids) == due, len(ended_ids)
    print(f"| a sweep ending {due} due attempts, per attempt | {wall / due * 1e3:.3f} ms "
          f"| {cpu / due * 1e3:.3f} ms |")
    print(f"| the sweep that ended them, whole | {wall * 1e3:.1f} ms | {cpu * 1e3:.1f} ms |")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    uvloop.run(main(args.attempts, args.due, args.database_url))
