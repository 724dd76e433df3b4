"""Rooms deleted behind this process's back: their sockets close.

A delete on this instance tells the hub at once (``Notices.room_ended``), and one on another
instance with a bus does too; but ``codepair purge`` runs in a process of its own, and an
instance without a bus hears nothing. Their open sockets would stay open: an interviewer's
idle sockets for as long as the tab is, and a write fails its group commit (which then drops
the room). So every ``SWEEP_SECONDS`` the hub asks, in one prebuilt query, which of the rooms
it has open still exist, and closes the sockets of the others
(``Notices.room_deleted_here``).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from sqlalchemy import ARRAY, Connection, String, bindparam, text

from codepair.db.reads import Reads

if TYPE_CHECKING:
    from codepair.hub.docroom import DocRoom
    from codepair.hub.events import EventRoom

log = structlog.get_logger("codepair.hub")

#: How long a deleted room's sockets may stay open. One query over the open rooms' ids each
#: time (primary-key lookups; 0.5 ms of the loop at 2,000 open rooms on SQLite).
SWEEP_SECONDS = 5.0

# One bound parameter whatever the number of rooms (an expanding IN of 2,000 ids cost 4 ms of
# the loop to render and bind on SQLite, where reads run on the loop), and only the missing
# ids come back: normally none.
_GONE = {
    "sqlite": text(
        "SELECT value FROM json_each(:ids)"
        " WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.id = value)"
    ),
    "postgresql": text(
        "SELECT x FROM unnest(:ids) AS x WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.id = x)"
    ).bindparams(bindparam("ids", type_=ARRAY(String))),
}


def _gone(conn: Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` have no row in ``rooms``."""
    dialect = conn.dialect.name
    value: Any = json.dumps(ids) if dialect == "sqlite" else ids
    return {str(v) for v in conn.execute(_GONE[dialect], {"ids": value}).scalars()}


class RoomGone(Protocol):
    """Closes every socket of a room that is gone (the notices' ``room_deleted_here``)."""

    def room_deleted_here(self, room_id: str) -> None: ...


class SweepHost(Protocol):
    """What the sweep looks at (the open rooms), asks (the database) and tells."""

    @property
    def docs(self) -> dict[tuple[str, str], DocRoom]: ...
    @property
    def events(self) -> dict[str, EventRoom]: ...
    @property
    def reads(self) -> Reads: ...
    @property
    def notices(self) -> RoomGone: ...


class DeletedRoomSweep:
    """Finds the rooms of a hub that are gone from the database and closes their sockets."""

    def __init__(self, hub: SweepHost, every: float = SWEEP_SECONDS) -> None:
        self.hub = hub
        self.every = every

    def open_rooms(self, *, pending_only: bool = False) -> set[str]:
        """Rooms with documents loaded or events sockets here (with unwritten updates only:
        what a failed group commit needs to know)."""
        hub = self.hub
        ids = {room.room_id for room in hub.docs.values() if room.pending or not pending_only}
        if not pending_only:
            ids.update(hub.events)
        return ids

    async def sweep(self, *, pending_only: bool = False) -> list[str]:
        """Close the sockets of the open rooms that no longer exist; returns their ids."""
        ids = self.open_rooms(pending_only=pending_only)
        if not ids:
            return []
        wanted = sorted(ids)
        try:
            missing = await self.hub.reads.run(lambda conn: _gone(conn, wanted), snapshot=False)
        except Exception as exc:  # the database is down: keep everything, ask again later
            log.warning("room_sweep_failed", error=type(exc).__name__)
            return []
        gone = [room_id for room_id in wanted if room_id in missing]
        for room_id in gone:
            self.hub.notices.room_deleted_here(room_id)
        return gone

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self.sweep()
