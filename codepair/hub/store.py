"""The hub's durable state: the Yjs update log with its snapshots, and the chat.

The log is append-only and never cut: each row is one update as a client sent it, with its
time and author, kept as long as the room is (it is the interview's history: replay and
history-at-a-moment read it, codepair/domain/record/history.py). Compaction merges the rows into the
document's snapshot so that a load reads the snapshot plus the rows after it, and writes the
keyframes history reads start from; it deletes nothing. Loading a document is its snapshot plus
every later row, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pycrdt import Doc
from sqlalchemy import Connection, and_, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.db.engine import transaction
from codepair.db.models.interviews import ChatMessage, Room
from codepair.db.models.record import YSnapshot, YUpdate
from codepair.db.reads import Reads
from codepair.db.updatelog import ROWS_AFTER, KeyframeDocs, merge_all, write_keyframes
from codepair.domain.record.timeline import actor, add_event
from codepair.hub.protocol import Author, ChatEntry
from codepair.security.tokens import Principal


@dataclass(slots=True)
class PendingUpdate:
    """An update applied in memory and not yet written."""

    update: bytes
    at: datetime
    author: str


@dataclass(slots=True)
class StoredDoc:
    """What a document's load found: its updates in order and how long its log is."""

    updates: list[bytes] = field(default_factory=list)
    log_length: int = 0  # rows after the snapshot
    last_seq: int = 0  # the seq the next row follows
    language: str | None = None  # the room's language, when asked for and nothing is stored

    @property
    def is_new(self) -> bool:
        return not self.updates


@dataclass(slots=True)
class Batch:
    """One document's pending updates, written in one group commit."""

    room_id: str
    doc: str
    updates: list[PendingUpdate]
    # The document's last stored seq when the caller knows it (one writer: this process);
    # None asks the database. Set to the new last seq by a successful append.
    last_seq: int | None = None


# Built once, with bound parameters (see codepair/domain/interviews/access.py).
_HEAD = (
    select(Room.language, YSnapshot.state, YSnapshot.upto_seq)
    .select_from(Room)
    .outerjoin(YSnapshot, and_(YSnapshot.room_id == Room.id, YSnapshot.doc == bindparam("doc")))
    .where(Room.id == bindparam("room_id"))
)
def _load(conn: Connection, room_id: str, doc: str, language: bool) -> StoredDoc:
    key = {"room_id": room_id, "doc": doc}
    head = conn.execute(_HEAD, key).one_or_none()
    after = head.upto_seq if head is not None and head.upto_seq is not None else -1
    rows = conn.execute(ROWS_AFTER, {**key, "after": after}).all()
    snapshot = [head.state] if head is not None and head.state is not None else []
    updates = snapshot + [row.update for row in rows]
    last_seq = rows[-1].seq if rows else max(after, 0)
    room_language = head.language if language and head is not None and not updates else None
    return StoredDoc(updates, len(rows), last_seq, room_language)


class UpdateLog:
    """Reads and writes the update log and snapshots through a session factory."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], reads: Reads) -> None:
        self._factory = factory
        self._reads = reads
        self.keyframe_docs = KeyframeDocs()

    async def load(self, room_id: str, doc: str, *, language: bool = False) -> StoredDoc:
        """Snapshot and later rows of a document; with ``language``, also the room's language
        when nothing is stored (a new code document is seeded with it).

        Two plain column queries in one read transaction, through :class:`Reads`: a rush of
        rooms loading at once (everyone reconnecting after a deploy) spent most of each load
        in the ORM's entity machinery, then in aiosqlite's thread hops.
        """
        return await self._reads.run(
            lambda conn: _load(conn, room_id, doc, language), on_loop=True
        )

    async def read(self, room_id: str, doc: str) -> Doc[Any]:
        """The document as the log holds it (what a process without the live room sees)."""
        return (await self.read_counted(room_id, doc))[1]

    async def read_counted(self, room_id: str, doc: str) -> tuple[int, Doc[Any]]:
        """How many rows follow the snapshot, and the document the log holds."""
        stored = await self.load(room_id, doc)
        ydoc: Doc[Any] = Doc()
        for update in stored.updates:
            ydoc.apply_update(update)
        return stored.log_length, ydoc

    async def append(self, batches: list[Batch]) -> None:
        """Write every batch in one transaction (the group commit).

        Sequence numbers continue the database's, so that two hub instances writing the same
        document cannot reuse one: the loser of a race fails on the unique key and its batch
        is retried in the next window. A single instance may pass the last seq it wrote.
        """
        rows = []
        async with transaction(self._factory) as db:
            for batch in batches:
                seq = batch.last_seq
                if seq is None:
                    seq = await _last_seq(db, batch.room_id, batch.doc)
                for item in batch.updates:
                    seq += 1
                    rows.append(
                        {
                            "room_id": batch.room_id,
                            "doc": batch.doc,
                            "seq": seq,
                            "update": item.update,
                            "at": item.at,
                            "author": item.author[:120],
                        }
                    )
                batch.last_seq = seq
            await db.execute(insert(YUpdate), rows)

    async def compact(self, room_id: str, doc: str) -> int:
        """Merge the log into the snapshot (the rows stay: they are history); returns how many
        rows the snapshot newly covers."""
        async with transaction(self._factory) as db:
            snapshot = await db.get(YSnapshot, (room_id, doc))
            after = snapshot.upto_seq if snapshot else -1
            params = {"room_id": room_id, "doc": doc, "after": after}
            rows = (await db.execute(ROWS_AFTER, params)).all()
            if not rows:
                return 0
            parts = ([snapshot.state] if snapshot else []) + [row.update for row in rows]
            state = merge_all(parts)
            await _snapshot_up_to(db, snapshot, room_id, doc, state, rows[-1].seq)
            return len(rows)

    async def log_length(self, room_id: str, doc: str) -> int:
        """Rows in the log after the snapshot for one document (what a load reads)."""
        async with self._factory() as db:
            upto = await db.scalar(
                select(YSnapshot.upto_seq).where(YSnapshot.room_id == room_id, YSnapshot.doc == doc)
            )
            count: int = (
                await db.scalar(
                    select(func.count())
                    .select_from(YUpdate)
                    .where(
                        YUpdate.room_id == room_id,
                        YUpdate.doc == doc,
                        YUpdate.seq > (upto if upto is not None else -1),
                    )
                )
                or 0
            )
            return count

    async def write_keyframes(self, room_id: str, doc: str) -> int:
        """Add the keyframes the log is due (codepair/domain/record/history.py), from the document
        as of the last one when this log wrote it; returns how many were written."""
        async with transaction(self._factory) as db:
            count, seq, ydoc = await write_keyframes(db, room_id, doc, self.keyframe_docs)
        self.keyframe_docs.keep(room_id, doc, seq, ydoc)  # committed: the next one starts here
        return count

    def forget_keyframes(self, room_id: str, doc: str) -> None:
        """The document unloaded: drop what :meth:`write_keyframes` kept of it."""
        self.keyframe_docs.forget(room_id, doc)


async def _snapshot_up_to(
    db: AsyncSession,
    snapshot: YSnapshot | None,
    room_id: str,
    doc: str,
    state: bytes,
    upto: int,
) -> None:
    """Make ``state`` the snapshot of every update up to ``upto``; the rows stay (history)."""
    if snapshot is None:
        db.add(YSnapshot(room_id=room_id, doc=doc, state=state, upto_seq=upto))
    else:
        snapshot.state = state
        snapshot.upto_seq = upto


async def _last_seq(db: AsyncSession, room_id: str, doc: str) -> int:
    last = await db.scalar(
        select(func.max(YUpdate.seq)).where(YUpdate.room_id == room_id, YUpdate.doc == doc)
    )
    if last is not None:
        return int(last)
    # The log may be empty because it was compacted: continue after the snapshot.
    upto = await db.scalar(
        select(YSnapshot.upto_seq).where(YSnapshot.room_id == room_id, YSnapshot.doc == doc)
    )
    return int(upto) if upto is not None else 0


class ChatStore:
    """Chat messages: written before they are broadcast, read back as history."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    async def add(self, room_id: str, principal: Principal, text: str) -> ChatEntry:
        async with transaction(self._factory) as db:
            row = ChatMessage(
                room_id=room_id,
                author_user_id=principal.user_id,
                author_name=principal.name[:100],
                author_role=principal.role,
                text=text,
            )
            db.add(row)
            await db.flush()
            await add_event(
                db,
                room_id,
                "chat",
                **actor(principal),
                data={"text": text, "message_id": row.id},
                at=row.sent_at,
            )
            return chat_entry(row)

    async def history(self, room_id: str, limit: int) -> list[ChatEntry]:
        async with self._factory() as db:
            return await chat_history(db, room_id, limit=limit)


async def chat_history(
    db: AsyncSession, room_id: str, *, limit: int, before_id: int | None = None
) -> list[ChatEntry]:
    """The latest ``limit`` messages (older than ``before_id`` if given), oldest first."""
    query = select(ChatMessage).where(ChatMessage.room_id == room_id)
    if before_id is not None:
        query = query.where(ChatMessage.id < before_id)
    rows = (await db.scalars(query.order_by(ChatMessage.id.desc()).limit(limit))).all()
    return [chat_entry(row) for row in reversed(rows)]


def chat_entry(row: ChatMessage) -> ChatEntry:
    return ChatEntry(
        id=row.id,
        author=Author(name=row.author_name, role=row.author_role),
        text=row.text,
        sent_at=row.sent_at,
    )
