"""Upgrading a database of the first wave (revision 0001, with rooms, history and snapshots in
it) to every later revision keeps its data, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from codepair.config import Settings
from codepair.db.migrate import alembic_config, upgrade
from codepair.db.models.base import Base
from tests.support.server import create_pg_database, db_backend, drop_pg_database

T = TypeVar("T")

FIRST_WAVE_ROWS: list[tuple[str, dict[str, object]]] = [
    (
        "users",
        {
            "id": 1,
            "email": "lead@example.com",
            "name": "Lead",
            "role": "lead",
            "password_hash": "x",
            "is_active": True,
        },
    ),
    (
        "rooms",
        {
            "id": "r1",
            "title": "Pairing",
            "candidate_name": "Cody",
            "owner_id": 1,
            "language": "python",
            "duration_minutes": 60,
            "runs_enabled": True,
        },
    ),
    ("yjs_updates", {"room_id": "r1", "doc": "code", "seq": 1, "update": b"\x00", "author": "u"}),
    ("yjs_snapshots", {"room_id": "r1", "doc": "code", "state": b"\x00\x00", "upto_seq": 1}),
    (
        "chat_messages",
        {"room_id": "r1", "author_name": "Lead", "author_role": "lead", "text": "hi"},
    ),
]


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    url = create_pg_database() if db_backend() == "postgres" else ""
    yield Settings(data_dir=tmp_path_factory.mktemp("migrations"), database_url=url)
    if url:
        drop_pg_database(url)


def run_sync(settings: Settings, fn: Callable[[sa.Connection], T]) -> T:
    """``fn`` on a connection of the database, in one committed transaction."""

    async def go() -> T:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def fill_first_wave(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    meta.reflect(conn)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for table, row in FIRST_WAVE_ROWS:
        columns = meta.tables[table].columns
        stamps: dict[str, object] = {
            c.name: now for c in columns if c.name.endswith("at") and not c.nullable
        }
        conn.execute(meta.tables[table].insert().values(**(stamps | row)))


def read_back(conn: sa.Connection) -> tuple[dict[str, int], list[tuple[str, str, int]], list[str]]:
    counts = {
        t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
        for t, _ in FIRST_WAVE_ROWS
    }
    keyframes = conn.execute(sa.text("SELECT room_id, doc, seq FROM yjs_keyframes")).all()
    heads = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return counts, [tuple(k) for k in keyframes], list(heads)


def test_first_wave_database_upgrades_with_its_data(settings: Settings) -> None:
    upgrade(settings, "0001")
    run_sync(settings, fill_first_wave)

    upgrade(settings)

    counts, keyframes, heads = run_sync(settings, read_back)
    assert counts == {t: 1 for t, _ in FIRST_WAVE_ROWS}
    # The old snapshot is where history starts now: it became the first keyframe.
    assert keyframes == [("r1", "code", 1)]
    assert heads == ["0016"]


def schema_drift(conn: sa.Connection) -> list[object]:
    """What the models declare and the migrated database lacks (or has besides)."""
    return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def columns_of(conn: sa.Connection, table: str) -> set[str]:
    return {str(col["name"]) for col in sa.inspect(conn).get_columns(table)}


def indexes_of(conn: sa.Connection, table: str) -> set[str]:
    return {str(ix["name"]) for ix in sa.inspect(conn).get_indexes(table)}


def test_migrations_build_what_the_models_declare(settings: Settings) -> None:
    """``create_all``-based tests and migrated databases have the same tables, columns and
    indexes (rooms.ended_at's index, 0010, included); and 0010 goes down and up again."""
    upgrade(settings)
    assert run_sync(settings, schema_drift) == []
    assert "ix_rooms_ended_at" in run_sync(settings, lambda c: indexes_of(c, "rooms"))
    # 0011: project questions' columns come and go on both question tables.
    project = {"files", "hidden_files", "entry", "run_command", "test_command"}
    command.downgrade(alembic_config(settings), "0010")
    for table in ("questions", "room_questions"):
        assert not project & run_sync(settings, lambda c, t=table: columns_of(c, t))
    command.downgrade(alembic_config(settings), "0009")
    assert "ix_rooms_ended_at" not in run_sync(settings, lambda c: indexes_of(c, "rooms"))
    upgrade(settings)
    assert run_sync(settings, schema_drift) == []
