"""Write what a dead instance received but never wrote.

With several instances, each update is logged by the instance whose socket received it; the
others apply it from the bus without logging it. If that instance dies (``kill -9``) within its
group-commit window, its clients reconnect to another instance that already holds the update
(from the bus), so the Yjs handshake sends nothing new and nobody would ever log it.

So an instance that applied updates from the bus compares its live document with the log once
the room has been quiet for a moment (no update applied here for ``quiet`` seconds: every
living instance has long written its window). Quiet is checked again after the read, so an
update that arrived meanwhile (and that its own instance will log) is never logged twice; the
room is then looked at again later.

What it finds is appended as one update, by ``reconcile``: the live document's difference from
the log's state vector. When the log lacks only deletions or a tail of some client's edits,
that difference is exactly what is missing. When it lacks edits in the middle of a client's
history (the dead instance's window, with later edits of the same client logged by the
instance the client moved to), no state-vector difference can express the hole without
repeating what follows it, and the appended update repeats those later edits. That costs
bytes, not correctness (applying a Yjs update twice changes nothing), and it keeps the log
what it must stay: history that nothing rewrites (the rows are replay's record; an earlier
version rebased the log here, deleting the keystroke-level history before the hole).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import structlog

from codepair.hub.store import PendingUpdate, UpdateLog
from codepair.hub.yframes import read_var_uint

if TYPE_CHECKING:
    from codepair.hub.docroom import DocRoom

log = structlog.get_logger("codepair.hub.reconcile")

AUTHOR = "reconcile"


class ReconcileHost(Protocol):
    """What the reconciler reads and writes: the open documents and the log."""

    @property
    def docs(self) -> dict[tuple[str, str], DocRoom]: ...
    @property
    def log(self) -> UpdateLog: ...
    async def flush(self) -> None: ...


class LogReconciler:
    """Checks rooms that took updates from the bus against the log, when they are quiet."""

    def __init__(self, hub: ReconcileHost, *, quiet: float = 1.0, interval: float = 0.5) -> None:
        self.hub = hub
        self.quiet = quiet
        self.interval = interval

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            for room in list(self.hub.docs.values()):
                if room.remote_unchecked and now - room.last_applied >= self.quiet:
                    try:
                        await self.reconcile(room)
                    except Exception as exc:  # the next round tries again
                        log.warning("reconcile_failed", room=room.room_id, error=repr(exc))

    async def reconcile(self, room: DocRoom) -> bool:
        """Log what the live document has and the log lacks; True when something was added."""
        if not room.loaded.done() or room.loaded.exception():
            return False
        applied = room.applied
        await self.hub.flush()  # our own updates first: they are not the log's to lack
        stored_rows, stored = await self.hub.log.read_counted(room.room_id, room.doc_name)
        if room.applied != applied or room.pending:
            return False  # not quiet any more: look again later
        room.remote_unchecked = False
        live = room.doc.get_update()
        if stored.get_update() == live:
            return False
        # The stored state vector stops at a hole (Yrs keeps what follows one as pending), so
        # the difference holds the hole and, when there is one, what follows it again.
        missing = room.doc.get_update(stored.get_state())
        room.pending.append(PendingUpdate(missing, datetime.now(UTC), AUTHOR))
        log.info(
            "reconcile_logged", room=room.room_id, doc=room.doc_name, bytes=len(missing),
            rows=stored_rows,
        )
        return True


def decode_state_vector(data: bytes) -> dict[int, int]:
    """A Yjs state vector: ``{client_id: next_clock}``."""
    count, pos = read_var_uint(data, 0)
    result: dict[int, int] = {}
    for _ in range(count):
        client, pos = read_var_uint(data, pos)
        clock, pos = read_var_uint(data, pos)
        result[client] = clock
    return result
