"""Keyframes written by the hub's log, which keeps each document as of its last keyframe
in memory: every keyframe is the document at its row, whether it was built from the kept
document, from the database after a restart, or after another instance wrote one."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pycrdt import Doc, Text
from sqlalchemy import delete, select, text

from codepair.config import Settings
from codepair.db import updatelog
from codepair.db.engine import create_engine, session_factory
from codepair.db.migrate import upgrade
from codepair.db.models.record import YKeyframe
from codepair.db.reads import Reads
from codepair.db.updatelog import (
    APPLY_CHUNK_BYTES,
    APPLY_CHUNK_ROWS,
    KEYFRAME_EVERY,
    apply_all,
    merge_all,
    merged_chunks,
)
from codepair.domain.record.history import doc_at
from codepair.hub.store import Batch, PendingUpdate, UpdateLog
from tests.support.server import create_pg_database, db_backend, drop_pg_database

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def typed(count: int) -> tuple[list[bytes], list[str]]:
    """``count`` one-keystroke updates, and the text after each."""
    src: Doc[Any] = Doc()
    code = src.get("code", type=Text)
    updates: list[bytes] = []
    texts: list[str] = []
    src.observe(lambda event: updates.append(event.update))
    for i in range(count):
        if i % 7 == 6:
            del code[len(code) - 1 :]
        else:
            code.insert(len(code) if i % 11 else 0, "abc\n"[i % 4])
        texts.append(str(code))
    return updates, texts


class Env:
    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.db = session_factory(self.engine)
        self.reads = Reads(settings, self.engine)

    def log(self) -> UpdateLog:
        """A hub's log (a fresh one: what another instance, or a restart, has)."""
        return UpdateLog(self.db, self.reads)

    async def frames(self) -> list[tuple[int, datetime, str]]:
        async with self.db() as s:
            rows = (await s.execute(select(YKeyframe).order_by(YKeyframe.seq))).scalars()
            out = []
            for f in rows:
                ydoc: Doc[Any] = Doc()
                ydoc.apply_update(zlib.decompress(f.state))
                out.append((f.seq, f.at, str(ydoc.get("code", type=Text))))
            return out


@pytest.fixture
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    url = create_pg_database() if db_backend() == "postgres" else ""
    settings = Settings(data_dir=tmp_path_factory.mktemp("keyframes"), database_url=url)
    upgrade(settings)
    e = Env(settings)
    async with e.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, password_hash, is_active,"
                " created_at, updated_at) VALUES (1, 'l@x', 'L', 'lead', 'x', true, :t, :t)"
            ),
            {"t": START},
        )
        await conn.execute(
            text(
                "INSERT INTO rooms (id, title, candidate_name, owner_id, language,"
                " duration_minutes, runs_enabled, created_at, updated_at)"
                " VALUES ('r1', '', 'C', 1, 'python', 60, true, :t, :t)"
            ),
            {"t": START},
        )
    yield e
    await e.reads.aclose()
    await e.engine.dispose()
    if url:
        drop_pg_database(url)


async def append(log: UpdateLog, updates: list[bytes], first_seq: int) -> None:
    """Rows ``first_seq + 1 ...``, one second apart, in group commits of 100."""
    for start in range(0, len(updates), 100):
        part = updates[start : start + 100]
        pending = [
            PendingUpdate(u, START + timedelta(seconds=first_seq + start + i + 1), "user:1")
            for i, u in enumerate(part)
        ]
        await log.append([Batch("r1", "code", pending, first_seq + start)])


def at_row(seq: int) -> datetime:
    return START + timedelta(seconds=seq)


async def test_kept_documents_make_the_same_keyframes(env: Env) -> None:
    updates, texts = typed(5 * KEYFRAME_EVERY + 120)
    hub_log = env.log()
    written = 0
    for start in range(0, len(updates), KEYFRAME_EVERY):
        await append(hub_log, updates[start : start + KEYFRAME_EVERY], start)
        written += await hub_log.write_keyframes("r1", "code")
        if start == KEYFRAME_EVERY:
            assert len(hub_log.keyframe_docs) == 1  # the next keyframe starts from it
    assert written == 5
    frames = await env.frames()
    assert [(seq, at) for seq, at, _ in frames] == [
        (n * KEYFRAME_EVERY, at_row(n * KEYFRAME_EVERY)) for n in range(1, 6)
    ]
    for seq, _, frame_text in frames:
        assert frame_text == texts[seq - 1], seq
    # The same keyframes from scratch (a log that kept nothing).
    async with env.db() as s, s.begin():
        await s.execute(delete(YKeyframe))
    assert await env.log().write_keyframes("r1", "code") == 5
    assert await env.frames() == frames
    # And a document at every moment is what had been typed by then.
    for seq in (1, 499, 500, 501, 1700, 2620):
        _, ydoc = await doc_at(env.reads, "r1", "code", at_row(seq))
        assert str(ydoc.get("code", type=Text)) == texts[seq - 1], seq


async def test_a_keyframe_written_elsewhere_is_not_built_on_a_stale_document(env: Env) -> None:
    updates, texts = typed(3 * KEYFRAME_EVERY)
    ours, theirs = env.log(), env.log()
    await append(ours, updates[:KEYFRAME_EVERY], 0)
    assert await ours.write_keyframes("r1", "code") == 1
    await append(ours, updates[KEYFRAME_EVERY : 2 * KEYFRAME_EVERY], KEYFRAME_EVERY)
    assert await theirs.write_keyframes("r1", "code") == 1  # another instance, first
    await append(ours, updates[2 * KEYFRAME_EVERY :], 2 * KEYFRAME_EVERY)
    # Ours kept the document at row 500; the last keyframe is at 1000 now.
    assert await ours.write_keyframes("r1", "code") == 1
    frames = await env.frames()
    assert [seq for seq, _, _ in frames] == [500, 1000, 1500]
    assert frames[-1][2] == texts[-1]
    # The room unloads: nothing of it is kept.
    assert len(ours.keyframe_docs) == 1
    ours.forget_keyframes("r1", "code")
    assert len(ours.keyframe_docs) == 0


def pasted(count: int) -> tuple[list[bytes], list[str]]:
    """``count`` updates appended at the end by one client, a 3 KB paste every third, with a
    deletion now and then: rows that merge into the long runs Yrs squashes."""
    src: Doc[Any] = Doc()
    code = src.get("code", type=Text)
    updates: list[bytes] = []
    texts: list[str] = []
    src.observe(lambda event: updates.append(event.update))
    for i in range(count):
        if i % 3 == 2:
            code.insert(len(code), (f"paste {i};" * 400)[:3000])
        elif i % 17 == 16:
            del code[len(code) - 5 :]
        else:
            code.insert(len(code), "xyz\n"[i % 4])
        texts.append(str(code))
    return updates, texts


def test_rows_are_applied_in_small_chunks_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    updates, texts = pasted(700)
    big = b"\x00" * (2 * APPLY_CHUNK_BYTES)  # a row larger than a chunk goes alone
    merged: list[list[bytes]] = []
    monkeypatch.setattr(updatelog, "merge_all", lambda rows: merged.append(rows) or b"")
    list(merged_chunks([*updates[:40], big, *updates[40:]]))
    assert [row for rows in merged for row in rows] == [*updates[:40], big, *updates[40:]]
    assert [big] in merged
    for rows in merged:  # within both bounds, but a row is never split
        assert len(rows) <= APPLY_CHUNK_ROWS
        assert sum(len(row) for row in rows) <= APPLY_CHUNK_BYTES or len(rows) == 1
    assert len(merged) > len(updates) // APPLY_CHUNK_ROWS  # the pastes cut chunks short
    monkeypatch.undo()
    chunked: Doc[Any] = Doc()
    apply_all(chunked, updates)
    whole: Doc[Any] = Doc()
    whole.apply_update(merge_all(updates))
    assert str(chunked.get("code", type=Text)) == str(whole.get("code", type=Text)) == texts[-1]
    assert chunked.get_state() == whole.get_state()
    apply_all(chunked, [])  # nothing to apply: nothing changes
    assert str(chunked.get("code", type=Text)) == texts[-1]


async def test_keyframes_of_pasted_rows_are_the_documents_at_their_rows(env: Env) -> None:
    """The keyframes' rows are applied in chunks now (one merge of 500 pastes took 484 MiB):
    each keyframe is still the document at its row, from the kept document and from scratch."""
    updates, texts = pasted(2 * KEYFRAME_EVERY + 30)
    hub_log = env.log()
    await append(hub_log, updates[:KEYFRAME_EVERY], 0)
    assert await hub_log.write_keyframes("r1", "code") == 1
    await append(hub_log, updates[KEYFRAME_EVERY:], KEYFRAME_EVERY)
    assert await hub_log.write_keyframes("r1", "code") == 1  # from the kept document
    frames = await env.frames()
    assert [seq for seq, _, _ in frames] == [KEYFRAME_EVERY, 2 * KEYFRAME_EVERY]
    for seq, _, frame_text in frames:
        assert frame_text == texts[seq - 1], seq
    async with env.db() as s, s.begin():
        await s.execute(delete(YKeyframe))
    assert await env.log().write_keyframes("r1", "code") == 2  # from scratch
    assert await env.frames() == frames
    for seq in (1, 499, 500, 777, 1030):
        _, ydoc = await doc_at(env.reads, "r1", "code", at_row(seq))
        assert str(ydoc.get("code", type=Text)) == texts[seq - 1], seq
