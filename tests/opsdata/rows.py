"""Straight to the database of a test server: count a room's rows in every table, edit times."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from codepair.db.models.base import Base
from tests.support.server import Server


def database_url(server: Server) -> str:
    return server.database_url or f"sqlite+aiosqlite:///{server.data_dir / 'codepair.db'}"


async def execute(server: Server, sql: str, **params: Any) -> None:
    """One statement in its own transaction (for what no endpoint does: backdating a room)."""
    engine = create_async_engine(database_url(server))
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


async def scalar(server: Server, sql: str, **params: Any) -> Any:
    engine = create_async_engine(database_url(server))
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


def _tables_in(conn: Any) -> set[str]:
    return set(inspect(conn).get_table_names())


async def room_rows(server: Server, room_id: str) -> dict[str, int]:
    """Rows of ``room_id`` in every table with a ``room_id`` column, and ``rooms`` itself.

    The tables come from ``Base.metadata``, so a table that another change adds is counted
    without this code knowing it.
    """
    engine = create_async_engine(database_url(server))
    counts: dict[str, int] = {}
    try:
        async with engine.connect() as conn:
            existing = await conn.run_sync(_tables_in)
            for table in Base.metadata.sorted_tables:
                if table.name not in existing:
                    continue
                column = "id" if table.name == "rooms" else "room_id"
                if column not in table.c:
                    continue
                counts[table.name] = await _count(conn, table, column, room_id)
    finally:
        await engine.dispose()
    return counts


async def _count(conn: AsyncConnection, table: Any, column: str, room_id: str) -> int:
    stmt = select(func.count()).select_from(table).where(table.c[column] == room_id)
    return int((await conn.execute(stmt)).scalar_one())
