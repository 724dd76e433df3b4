"""A room's runs as the REST API shows them, read in one prebuilt query (ADR 8).

``GET /api/rooms/{id}/runs`` (and one run) is read like the room list: the run's columns and
its test results (``run_tests``, outer-joined) in one statement built once, with bound
parameters, and the answer made from the rows by column name. No ORM entities are loaded.
The functions take a synchronous ``Connection`` and run through :class:`codepair.db.reads.Reads`
with the principal check in the same read.

A candidate sees a hidden test's name and outcome only: the results pass through
:func:`codepair.domain.questions.runs.results_for`, the one place that decides it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from codepair.db.models.interviews import Run
from codepair.db.models.questions import RunTests
from codepair.domain.interviews import access
from codepair.domain.questions.runs import results_for
from codepair.runner.executor import PENDING_STATUSES
from codepair.security.tokens import Principal

_COLUMNS = (
    *Run.__table__.columns,
    RunTests.run_id.label("tests_run_id"),
    RunTests.results.label("tests_results"),
    RunTests.passed.label("tests_passed"),
    RunTests.total.label("tests_total"),
    RunTests.room_question_id.label("tests_room_question_id"),
)
_BASE = select(*_COLUMNS).outerjoin(RunTests, RunTests.run_id == Run.id)
# Newest first; the index ix_runs_room_id_created_at serves it.
_PAGE = (
    _BASE.where(Run.room_id == bindparam("room_id"))
    .order_by(Run.created_at.desc(), Run.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_ONE = _BASE.where(Run.id == bindparam("run_id"), Run.room_id == bindparam("room_id"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_dict(row: Row[Any], *, candidate: bool) -> dict[str, Any]:
    """The fields of ``RunOut`` from a row (as :func:`codepair.domain.interviews.runs.run_event` and
    :func:`codepair.domain.questions.runs.summary` make them from entities)."""
    m = row._mapping
    out: dict[str, Any] = {
        "id": m["id"],
        "room_id": m["room_id"],
        "language": m["language"],
        "status": m["status"],
        "code": m["code"],
        "stdin": m["stdin"],
        "stdout": m["stdout"],
        "stderr": m["stderr"],
        "compile_output": m["compile_output"],
        "exit_code": m["exit_code"],
        "signal": m["signal"],
        "cpu_ms": m["cpu_ms"],
        "wall_ms": m["wall_ms"],
        "memory_kb": m["memory_kb"],
        "truncated": m["truncated"],
        "author": {"name": m["author_name"], "role": m["author_role"]},
        "created_at": _iso(m["created_at"]),
        "finished_at": _iso(m["finished_at"]),
    }
    if m["tests_run_id"] is not None:
        out.update(
            tests=results_for(list(m["tests_results"] or []), candidate=candidate),
            passed=m["tests_passed"],
            total=m["tests_total"],
            room_question_id=m["tests_room_question_id"],
        )
    return out


class RunsRead:
    """What one read found: the runs as the caller may see them, and when the oldest run
    still ``queued``/``running`` among them was created (None: none is). Past
    ``RoomRuns.stale_after`` a dead server left that run, and the caller records it as
    interrupted (a write, rare) and answers from the ORM path instead."""

    __slots__ = ("items", "oldest_pending")

    def __init__(self, items: list[dict[str, Any]], oldest_pending: datetime | None) -> None:
        self.items = items
        self.oldest_pending = oldest_pending

    def stale(self, stale_after: float) -> bool:
        if self.oldest_pending is None:
            return False
        return (datetime.now(UTC) - self.oldest_pending).total_seconds() > stale_after


def _read(rows: list[Row[Any]], candidate: bool) -> RunsRead:
    pending = [r.created_at for r in rows if r.status in PENDING_STATUSES]
    items = [run_dict(r, candidate=candidate) for r in rows]
    return RunsRead(items, min(pending) if pending else None)


def runs_page(
    conn: Connection, principal: Principal, room_id: str, *, limit: int, offset: int
) -> RunsRead | None:
    """The room's runs, newest first; None when the principal is not in the room."""
    if access.room_role_conn(conn, principal, room_id) is None:
        return None
    params = {"room_id": room_id, "limit": limit, "offset": offset}
    return _read(list(conn.execute(_PAGE, params).all()), principal.is_candidate)


def one_run(conn: Connection, principal: Principal, room_id: str, run_id: str) -> RunsRead | None:
    """One run of the room (no item when there is none); None when the principal is not
    in the room."""
    if access.room_role_conn(conn, principal, room_id) is None:
        return None
    rows = list(conn.execute(_ONE, {"room_id": room_id, "run_id": run_id}).all())
    return _read(rows, principal.is_candidate)
