"""The Yjs update log's rows and keyframes: what the hub (which writes them) and the record
(which reads history from them) both stand on.

The log (``yjs_updates``) keeps every update with its time and author. Keyframes
(``yjs_keyframes``) hold the merged state after every ``KEYFRAME_EVERY`` rows, so a document
at a moment is the last keyframe before it plus at most that many rows. Both are derived from
nothing else; the hub's :class:`~codepair.hub.store.UpdateLog` writes the rows and calls
:func:`write_keyframes` after its group commits, and
:mod:`codepair.domain.record.history` reads from them.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator
from typing import Any

from pycrdt import Doc, merge_updates
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.record import YKeyframe, YUpdate

EMPTY_UPDATE = b"\x00\x00"
MERGE_FAN_IN = 32


def merge_all(updates: list[bytes]) -> bytes:
    """One update holding all of ``updates``, merged in a tree of ``MERGE_FAN_IN``-way merges.

    Yrs' ``merge_updates`` grows much faster than linearly with the number of updates it is
    given: 10,000 keystrokes took 450 ms in one call, 11 ms in a tree of 32-way merges
    (a merge is associative, so the result holds the same). A room's load and its
    compaction run on the event loop: one call would stall every room of the process.
    """
    while len(updates) > 1:
        updates = [
            merge_updates(*updates[i : i + MERGE_FAN_IN]) if i + 1 < len(updates) else updates[i]
            for i in range(0, len(updates), MERGE_FAN_IN)
        ]
    return updates[0] if updates else EMPTY_UPDATE


# Rows are applied to a Doc merged in chunks of at most this many rows and bytes, never in one
# merge: rows that continue each other (keystrokes typed at the end, pastes) merge into a run
# that Yrs squashes at a cost that grows with the square of its length (codepair/hub/
# yupdate.py). 500 pasted rows of 4 KB merged into one update took 590 MB to apply.
APPLY_CHUNK_ROWS = 32
APPLY_CHUNK_BYTES = 64 * 1024


def merged_chunks(updates: list[bytes]) -> Iterator[bytes]:
    """``updates`` in order, merged in chunks small enough to apply cheaply (a chunk of
    ``n`` rows of ``b`` bytes in all squashes at most ``n * b`` bytes)."""
    start = size = 0
    for i, update in enumerate(updates):
        if i > start and (i - start >= APPLY_CHUNK_ROWS or size + len(update) > APPLY_CHUNK_BYTES):
            yield merge_all(updates[start:i])
            start = i
            size = 0
        size += len(update)
    if start < len(updates):
        yield merge_all(updates[start:])


def apply_all(ydoc: Doc[Any], updates: list[bytes]) -> None:
    """Apply ``updates`` in order, in chunks (:func:`merged_chunks`)."""
    for chunk in merged_chunks(updates):
        ydoc.apply_update(chunk)


# A document's rows after a seq, in order (a load, a compaction, and keyframes' chunks).
ROWS_AFTER = (
    select(YUpdate.seq, YUpdate.update)
    .where(
        YUpdate.room_id == bindparam("room_id"),
        YUpdate.doc == bindparam("doc"),
        YUpdate.seq > bindparam("after"),
    )
    .order_by(YUpdate.seq)
)


KEYFRAME_EVERY = 500  # rows between keyframes: a moment is at most this many rows away
# Keyframes are stored zlib-compressed (a document's state compresses about 3x), at level 1:
# written by the hub after a group commit, so cheap to make matters more than size.
KEYFRAME_ZLIB_LEVEL = 1
_MAX_CHUNKS_PER_CALL = 40  # keyframes written per call (a long backlog is caught up in steps)


class KeyframeDocs:
    """Each document as of its last keyframe, kept in memory by the hub between keyframes.

    Writing a keyframe used to start from the previous one: decompress it and apply the whole
    state to a fresh ``Doc`` (2 ms at 20,000 keystrokes, growing with the document), on the
    event loop; pycrdt holds the GIL while it applies, so a thread would not spare the loop.
    Kept, the next keyframe applies only its 500 rows. An entry is used only when its seq is
    still the database's last keyframe (another instance may have written one since), and is
    handed out once: a failed write leaves nothing half-applied behind.
    """

    def __init__(self) -> None:
        self._docs: dict[tuple[str, str], tuple[int, Doc[Any]]] = {}

    def take(self, room_id: str, doc: str, seq: int) -> Doc[Any] | None:
        entry = self._docs.pop((room_id, doc), None)
        return entry[1] if entry is not None and entry[0] == seq else None

    def keep(self, room_id: str, doc: str, seq: int, ydoc: Doc[Any]) -> None:
        self._docs[(room_id, doc)] = (seq, ydoc)

    def forget(self, room_id: str, doc: str) -> None:
        """The room unloaded here: its next keyframe may be written by another instance."""
        self._docs.pop((room_id, doc), None)

    def __len__(self) -> int:
        return len(self._docs)


_LAST_KEYFRAME_SEQ = select(func.max(YKeyframe.seq)).where(
    YKeyframe.room_id == bindparam("room_id"), YKeyframe.doc == bindparam("doc")
)
_KEYFRAME_STATE = select(YKeyframe.state).where(
    YKeyframe.room_id == bindparam("room_id"),
    YKeyframe.doc == bindparam("doc"),
    YKeyframe.seq == bindparam("seq"),
)
# The rows' payloads only: their times are needed at each keyframe's end alone, and turning
# 500 times into datetimes cost as much of the loop as applying the rows.
_ROWS_TO_KEYFRAME = ROWS_AFTER.limit(KEYFRAME_EVERY * _MAX_CHUNKS_PER_CALL)
_TIMES_OF = select(YUpdate.seq, YUpdate.at).where(
    YUpdate.room_id == bindparam("room_id"),
    YUpdate.doc == bindparam("doc"),
    YUpdate.seq.in_(bindparam("seqs", expanding=True)),
)


async def write_keyframes(
    db: AsyncSession, room_id: str, doc: str, kept: KeyframeDocs | None = None
) -> tuple[int, int, Doc[Any]]:
    """Add the keyframes the log is due (one per ``KEYFRAME_EVERY`` rows after the last one),
    in the caller's transaction. Returns how many were written, and the document as of the
    last keyframe with its seq (for ``kept``, once the transaction has committed).

    The hub calls this on the event loop that relays keystrokes, so what runs there is kept
    to a few short steps: the previous keyframe comes from ``kept`` when it can; per keyframe, its
    500 rows merged and applied in chunks of at most 32 rows and 64 KiB (one merge of them
    all is a run Yrs squashes at a quadratic cost: 484 MiB for 500 pastes of 4 KB), with a
    yield to the loop after each chunk, and the encoding (0.2 ms at 20,000 keystrokes); zlib,
    which releases the GIL, runs in a thread.
    """
    key: dict[str, Any] = {"room_id": room_id, "doc": doc}
    # Core on the session's connection: the ORM's result machinery is not needed for columns.
    conn = await db.connection()
    last = (await conn.execute(_LAST_KEYFRAME_SEQ, key)).scalar()
    after = int(last) if last is not None else -1
    ydoc = kept.take(room_id, doc, after) if kept is not None else None
    if ydoc is None:
        ydoc = Doc()
        if last is not None:
            stored = (await conn.execute(_KEYFRAME_STATE, {**key, "seq": after})).scalar_one()
            ydoc.apply_update(await asyncio.to_thread(zlib.decompress, stored))
    rows = (await conn.execute(_ROWS_TO_KEYFRAME, {**key, "after": after})).all()
    chunks = [
        rows[start : start + KEYFRAME_EVERY]
        for start in range(0, len(rows) - KEYFRAME_EVERY + 1, KEYFRAME_EVERY)
    ]
    if not chunks:
        return 0, after, ydoc
    ends = [chunk[-1].seq for chunk in chunks]
    times = {r.seq: r.at for r in await conn.execute(_TIMES_OF, {**key, "seqs": ends})}
    frames: list[dict[str, Any]] = []
    for chunk in chunks:
        # Through a Doc, not merge_updates alone: the Doc squashes a run of keystrokes into one
        # item, so its encoding is about a quarter of the merged updates'.
        for piece in merged_chunks([r.update for r in chunk]):
            await asyncio.sleep(0)
            ydoc.apply_update(piece)
        state = await asyncio.to_thread(zlib.compress, ydoc.get_update(), KEYFRAME_ZLIB_LEVEL)
        end = chunk[-1].seq
        frames.append(
            {"room_id": room_id, "doc": doc, "seq": end, "at": times[end], "state": state}
        )
    await conn.execute(insert(YKeyframe), frames)
    return len(frames), ends[-1], ydoc
