"""A room's documents as they stood at any moment, from the update log that is never cut.

The log (``yjs_updates``) keeps every update with its time and author. Keyframes
(``yjs_keyframes``) hold the merged state after every ``KEYFRAME_EVERY`` rows, so a document
at a moment is the last keyframe before it plus at most that many rows: reading it costs the
same at minute 1 and minute 60. Keyframes are derived from the log and can be rebuilt from it.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc, Map, Text, XmlElement, XmlFragment, XmlText
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.record import YKeyframe, YUpdate
from codepair.db.reads import Reads
from codepair.db.updatelog import apply_all

_LAST_KEYFRAME_AT = (
    select(YKeyframe.seq, YKeyframe.state)
    .where(
        YKeyframe.room_id == bindparam("room_id"),
        YKeyframe.doc == bindparam("doc"),
        YKeyframe.at <= bindparam("at"),
    )
    .order_by(YKeyframe.seq.desc())
    .limit(1)
)
_ROWS_UNTIL = (
    select(YUpdate.seq, YUpdate.update)
    .where(
        YUpdate.room_id == bindparam("room_id"),
        YUpdate.doc == bindparam("doc"),
        YUpdate.seq > bindparam("after"),
        YUpdate.at <= bindparam("at"),
    )
    .order_by(YUpdate.seq)
)


def _doc_at(conn: Connection, room_id: str, doc: str, at: datetime) -> tuple[int, Doc[Any]]:
    key = {"room_id": room_id, "doc": doc, "at": at}
    frame = conn.execute(_LAST_KEYFRAME_AT, key).one_or_none()
    after = frame.seq if frame is not None else -1
    rows = conn.execute(_ROWS_UNTIL, {**key, "after": after}).all()
    ydoc: Doc[Any] = Doc()
    # The state and the rows apart: merging a whole state with updates costs far more than
    # applying the state and then the rows (merged in small chunks: updatelog.merged_chunks).
    if frame is not None:
        ydoc.apply_update(zlib.decompress(frame.state))
    apply_all(ydoc, [row.update for row in rows])
    seq = rows[-1].seq if rows else max(after, 0)
    return seq, ydoc


async def doc_at(
    db_or_reads: AsyncSession | Reads, room_id: str, doc: str, at: datetime | None
) -> tuple[int, Doc[Any]]:
    """The seq of the last update applied and the document as it stood at ``at`` (None: now,
    as far as the log has been written: at most one group commit behind the live room)."""
    moment = at if at is not None else datetime.max.replace(tzinfo=UTC)

    def read(conn: Connection) -> tuple[int, Doc[Any]]:
        return _doc_at(conn, room_id, doc, moment)

    if isinstance(db_or_reads, Reads):
        return await db_or_reads.run(read)
    return await db_or_reads.run_sync(lambda session: read(session.connection()))


def plain_text(ydoc: Doc[Any], doc: str) -> str:
    """What a reader sees of a document: the code's text, or the notes' paragraphs."""
    if doc == "code":
        return str(ydoc.get("code", type=Text))
    if doc == "notes":
        return _fragment_text(ydoc.get("default", type=XmlFragment))
    return ""


def code_language(ydoc: Doc[Any]) -> str | None:
    value = ydoc.get("meta", type=Map).get("language")
    return value if isinstance(value, str) else None


def _fragment_text(node: XmlFragment | XmlElement) -> str:
    """Block elements on lines of their own, text as it is (TipTap: paragraphs, headings,
    list items, code blocks)."""
    lines: list[str] = []
    for child in node.children:
        if isinstance(child, XmlText):
            lines.append(str(child))
        elif isinstance(child, XmlElement):
            inner = _fragment_text(child)
            if any(isinstance(c, XmlElement) for c in child.children):
                lines.append(inner)
            else:
                lines.append(inner.replace("\n", ""))
    return "\n".join(lines)


async def keyframes(db: AsyncSession, room_id: str, doc: str) -> list[YKeyframe]:
    """Every keyframe of a document, oldest first."""
    return list(
        (
            await db.scalars(
                select(YKeyframe)
                .where(YKeyframe.room_id == room_id, YKeyframe.doc == doc)
                .order_by(YKeyframe.seq)
            )
        ).all()
    )


async def updates_page(
    db: AsyncSession, room_id: str, doc: str, *, after: int, limit: int
) -> list[Any]:
    """Rows after seq ``after``, in order: ``seq, at, author, update``."""
    return list(
        (
            await db.execute(
                select(YUpdate.seq, YUpdate.at, YUpdate.author, YUpdate.update)
                .where(YUpdate.room_id == room_id, YUpdate.doc == doc, YUpdate.seq > after)
                .order_by(YUpdate.seq)
                .limit(limit)
            )
        ).all()
    )


async def storage(db: AsyncSession, room_id: str) -> dict[str, int]:
    """Bytes of the room's history: update payloads, rows and keyframes (for the bench)."""
    updates = await db.execute(
        select(func.count(), func.coalesce(func.sum(func.length(YUpdate.update)), 0)).where(
            YUpdate.room_id == room_id
        )
    )
    rows, update_bytes = updates.one()
    frames = await db.execute(
        select(func.count(), func.coalesce(func.sum(func.length(YKeyframe.state)), 0)).where(
            YKeyframe.room_id == room_id
        )
    )
    frame_count, frame_bytes = frames.one()
    return {
        "update_rows": int(rows),
        "update_bytes": int(update_bytes),
        "keyframes": int(frame_count),
        "keyframe_bytes": int(frame_bytes),
    }
