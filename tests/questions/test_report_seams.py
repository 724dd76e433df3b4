"""The functions other areas call: room_rubric and room_questions_for_report (the report,
scorecards), on a real database schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from codepair.db.models.accounts import User
from codepair.db.models.base import Base
from codepair.db.models.interviews import Room
from codepair.db.models.questions import Question
from codepair.domain.questions import bank as questions


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    await engine.dispose()


async def test_rubric_in_plan_order_without_duplicates(db: AsyncSession) -> None:
    db.add(User(id=1, email="a@example.com", name="A", role="lead", password_hash="x"))
    db.add(Room(id="r1", candidate_name="C", owner_id=1))
    await db.flush()
    first = await questions.create_question(db, None, {
        "title": "One", "rubric": [{"criterion": "Correctness", "description": "works"},
                                   {"criterion": "Testing", "description": "tests"}],
    })
    second = await questions.create_question(db, None, {
        "title": "Two", "rubric": [{"criterion": "correctness", "description": "again"},
                                   {"criterion": "Complexity", "description": "big O"}],
    })
    await questions.attach(db, "r1", second.id)
    await questions.attach(db, "r1", first.id)
    assert await questions.room_rubric(db, "r1") == [
        {"criterion": "correctness", "description": "again"},
        {"criterion": "Complexity", "description": "big O"},
        {"criterion": "Testing", "description": "tests"},
    ]
    report = await questions.room_questions_for_report(db, "r1")
    assert [r["title"] for r in report] == ["Two", "One"]
    assert report[0]["presented_at"] is None and isinstance(report[0]["created_at"], str)
    # The room's copy does not follow the bank.
    bank = await db.get(Question, first.id)
    assert bank is not None
    bank.title = "Changed"
    await db.flush()
    assert [r["title"] for r in await questions.room_questions_for_report(db, "r1")] == [
        "Two", "One"
    ]
