"""The interview's timeline: one list of what happened in a room, on the server's clock.

Every feature that does something worth seeing in the record adds an event in its own
transaction (:func:`add_event`); the timeline endpoint and the replay read them back in order
(:func:`room_timeline`). Events carry what the reader needs to show them, and refer to rows
that hold more (a run by its ``run_id``) instead of copying them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.interviews import Run
from codepair.db.models.questions import RunTests
from codepair.db.models.record import RoomEvent
from codepair.security.tokens import Principal

EVENT_TYPES = frozenset(
    {
        "joined",
        "left",
        "chat",
        "run",
        "language",
        "paste",
        "focus_lost",
        "focus_returned",
        "question",
        "ended",
        "terminal",
        # The project's tree (docs/projects.md): derived by the hub from the code document
        # (hub/treewatch.py), an import by its endpoint, and each person's open file from
        # their awareness state.
        "file_created",
        "file_renamed",
        "file_deleted",
        "files_changed",
        "files_imported",
        "file_opened",
    }
)
# What a run event shows of its run (looked up when read: a run's status changes after it
# is queued, and its code and output stay in the runs table).
_RUN_FIELDS = ("status", "language", "exit_code", "stdin", "wall_ms")
# And of a tests run, its pass count (a plain run has neither: "ran the code" is not "0 of 2").
_TESTS_FIELDS = ("passed", "total")


async def add_event(
    db: AsyncSession,
    room_id: str,
    type: str,
    *,
    actor_name: str | None,
    actor_role: str | None,
    actor_user_id: int | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add one event to the room's timeline, in the caller's transaction."""
    db.add(
        RoomEvent(
            room_id=room_id,
            type=type[:32],
            at=at or datetime.now(UTC),
            actor_name=actor_name[:100] if actor_name is not None else None,
            actor_role=actor_role[:20] if actor_role is not None else None,
            actor_user_id=actor_user_id,
            data=data or {},
        )
    )


def actor(principal: Principal) -> dict[str, Any]:
    """The actor keywords of :func:`add_event` for whoever holds ``principal``."""
    return {
        "actor_name": principal.name,
        "actor_role": principal.role,
        "actor_user_id": principal.user_id,
    }


def event_dict(row: RoomEvent) -> dict[str, Any]:
    """One event as the API shows it: the stored data first, then the fixed fields."""
    actor_out = (
        {"name": row.actor_name, "role": row.actor_role} if row.actor_name is not None else None
    )
    return {**(row.data or {}), "id": row.id, "at": row.at, "type": row.type, "actor": actor_out}


async def room_timeline(db: AsyncSession, room_id: str) -> list[dict[str, Any]]:
    """Every event of the room, oldest first (ties in the order they were added)."""
    rows = (
        await db.scalars(
            select(RoomEvent).where(RoomEvent.room_id == room_id).order_by(
                RoomEvent.at, RoomEvent.id
            )
        )
    ).all()
    events = [event_dict(row) for row in rows]
    run_ids = [e["run_id"] for e in events if e["type"] == "run" and "run_id" in e]
    if run_ids:
        runs = {
            row.id: row
            for row in (
                await db.execute(
                    select(Run.id, *(getattr(Run, name) for name in _RUN_FIELDS)).where(
                        Run.room_id == room_id
                    )
                )
            ).all()
        }
        tested = {
            row.run_id: row
            for row in (
                await db.execute(
                    select(RunTests.run_id, *(getattr(RunTests, n) for n in _TESTS_FIELDS)).where(
                        RunTests.room_id == room_id
                    )
                )
            ).all()
        }
        for event in events:
            run_id = event.get("run_id", "") if event["type"] == "run" else ""
            run = runs.get(run_id)
            if run is not None:
                for name in _RUN_FIELDS:
                    event[name] = getattr(run, name)
            tests = tested.get(run_id)
            if tests is not None:
                for name in _TESTS_FIELDS:
                    event[name] = getattr(tests, name)
    return events
