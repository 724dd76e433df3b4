"""The floor bench/rest_bench.py measures our room list against: a minimal FastAPI app.

One endpoint, ``GET /api/rooms``, answers the same JSON as CodePair's room list (the same
rooms, owner, co-interviewers, invite link and total) from the same database with one query,
on the plain driver (sqlite3 on the loop, or an asyncpg pool), with no authentication, no
middleware and no ORM: what FastAPI on uvicorn costs for one well-indexed query here.

    BENCH_DATABASE_URL=... BENCH_USER_ID=1 BENCH_PUBLIC_URL=... uvicorn minimal_rest:app
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Response

DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
USER_ID = int(os.environ.get("BENCH_USER_ID", "1"))
PUBLIC_URL = os.environ.get("BENCH_PUBLIC_URL", "http://127.0.0.1:8000")
HIDDEN = {"owner_id", "updated_at"}
BOOLEANS = {"runs_enabled"}

# The page's ids and the total first, then the details of those rows: the same shape as
# CodePair's list (codepair/domain/interviews/room_views.py), so the floor is the best query, not an
# easier target.
_SQL = """
WITH page AS (
  SELECT id, count(*) OVER () AS total FROM rooms
  ORDER BY created_at DESC, id LIMIT {limit} OFFSET {offset}
)
SELECT r.*, u.name AS owner_name, u.email AS owner_email,
  (SELECT i.token FROM invites i WHERE i.room_id = r.id AND i.revoked_at IS NULL
   ORDER BY i.id DESC LIMIT 1) AS invite_token,
  ({people}) AS interviewers_json,
  page.total
FROM page JOIN rooms r ON r.id = page.id JOIN users u ON u.id = r.owner_id
ORDER BY r.created_at DESC, r.id
"""
_PEOPLE_SQLITE = (
    "SELECT json_group_array(json_object('id', iu.id, 'name', iu.name, 'email', iu.email)) "
    "FROM room_interviewers ri JOIN users iu ON iu.id = ri.user_id WHERE ri.room_id = r.id"
)
_PEOPLE_PG = (
    "SELECT json_agg(json_build_object('id', iu.id, 'name', iu.name, 'email', iu.email) "
    "ORDER BY iu.id)::text "
    "FROM room_interviewers ri JOIN users iu ON iu.id = ri.user_id WHERE ri.room_id = r.id"
)

state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    if DATABASE_URL.startswith("sqlite"):
        conn = sqlite3.connect(DATABASE_URL.split("///", 1)[1], check_same_thread=False)
        conn.row_factory = sqlite3.Row
        state["sqlite"] = conn
        yield
        conn.close()
    else:
        import asyncpg

        dsn = DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
        state["pg"] = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        yield
        await state["pg"].close()


app = FastAPI(lifespan=lifespan)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value).replace(" ", "T") + "Z"  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"


def _status(room: dict[str, Any], now: str) -> str:
    if room["ended_at"] is not None:
        return "ended"
    if room["started_at"] is None and room["scheduled_at"] and room["scheduled_at"] > now:
        return "scheduled"
    return "live"


def _room(row: dict[str, Any], now: str) -> dict[str, Any]:
    room: dict[str, Any] = {}
    for key, value in row.items():
        if key in HIDDEN or key in ("owner_name", "owner_email", "invite_token", "total"):
            continue
        if key == "interviewers_json":
            continue
        if key.endswith("_at"):
            value = _iso(value)
        elif key in BOOLEANS:
            value = bool(value)
        room[key] = value
    room["status"] = _status(room, now)
    token = row["invite_token"] if row["ended_at"] is None else None
    room["owner"] = {"id": row["owner_id"], "name": row["owner_name"], "email": row["owner_email"]}
    room["interviewers"] = json.loads(row["interviewers_json"] or "[]")
    room["invite_token"] = token
    room["invite_url"] = f"{PUBLIC_URL}/join/{token}" if token else None
    room["my_role"] = "owner" if row["owner_id"] == USER_ID else "lead"
    return room


@app.get("/api/rooms")
async def rooms(limit: int = 20, offset: int = 0) -> Response:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if "sqlite" in state:
        sql = _SQL.format(people=_PEOPLE_SQLITE, limit=int(limit), offset=int(offset))
        rows = [dict(r) for r in state["sqlite"].execute(sql).fetchall()]
    else:
        sql = _SQL.format(people=_PEOPLE_PG, limit=int(limit), offset=int(offset))
        async with state["pg"].acquire() as conn:
            rows = [dict(r) for r in await conn.fetch(sql)]
    body = {"items": [_room(r, now) for r in rows], "total": rows[0]["total"] if rows else 0}
    return Response(json.dumps(body), media_type="application/json")
