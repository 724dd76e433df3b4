"""The interview record: the timeline, any document at a moment, and the replay's data.

Interviewers of the room and leads only: a candidate's token gets 403, anyone else's 404 (as
every room endpoint), no token 401.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import func, select

from codepair.api.coding import accepts_gzip, gzipped, json_response
from codepair.api.deps import CurrentPrincipal, DbSession, client_ip
from codepair.api.schemas.record import (
    HistoryOut,
    Keyframe,
    ReplayAuthor,
    ReplayDoc,
    ReplayOut,
    ReplayRoom,
    ReplayRun,
    TimelineEvent,
    TimelineOut,
    UpdatesOut,
)
from codepair.db.models.accounts import User
from codepair.db.models.interviews import Room, Run
from codepair.db.models.record import RoomEvent, YKeyframe, YUpdate
from codepair.domain.errors import NotFound, Unprocessable
from codepair.domain.interviews import rooms
from codepair.domain.projects.tree import read_tree
from codepair.domain.record import history, timeline

router = APIRouter(tags=["record"])

DOCS = ("code", "notes", "board")
REPLAY_DOCS = ("code", "notes")
DocName = Annotated[str, Path(max_length=16)]
# A moment a little ahead of the server's clock is taken as now (clocks drift); more is refused.
FUTURE_SLACK = timedelta(seconds=5)
UPDATES_PAGE_MAX = 5000
REPLAY_RUNS_MAX = 500
# The replay answers of ended rooms, serialized (a 60-minute interview's is about 2.6 MB and
# takes the server most of a second to build from 20,000 rows): keyed by everything that can
# still change after the end (late rows, keyframes, events such as leaves, runs finishing).
REPLAY_CACHE_MAX = 4


@dataclass
class _Serialized:
    body: bytes
    gzipped: bytes | None = None  # made the first time a client accepting gzip asks


_replay_cache: OrderedDict[tuple[Any, ...], _Serialized] = OrderedDict()


def parse_moment(raw: str | None, room: Room) -> datetime | None:
    """``at`` as a UTC time: None for now; a 422 that says what is wrong otherwise."""
    if raw is None or raw == "":
        return None
    text = raw.strip()
    if len(text) > 64:
        raise Unprocessable("`at` must be an ISO 8601 time, e.g. 2026-12-01T10:30:00Z")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Unprocessable(
            "`at` must be an ISO 8601 time, e.g. 2026-12-01T10:30:00Z"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    now = datetime.now(UTC)
    if moment > now + FUTURE_SLACK:
        raise Unprocessable(f"`at` is in the future (the server's time is {now.isoformat()})")
    if moment < room.created_at:
        raise Unprocessable(
            f"`at` is before the interview existed (created {room.created_at.isoformat()})"
        )
    return min(moment, now)


def _doc(doc: str) -> str:
    if doc not in DOCS:
        raise NotFound(f"No document {doc[:16]!r}; documents are {', '.join(DOCS)}")
    return doc


@router.get("/api/rooms/{room_id}/timeline")
async def room_timeline(room_id: str, principal: CurrentPrincipal, db: DbSession) -> TimelineOut:
    """Everything that happened in the room, oldest first, on the server's clock."""
    await rooms.room_for(db, principal, room_id)
    events = await timeline.room_timeline(db, room_id)
    return TimelineOut(events=[TimelineEvent.model_validate(e) for e in events])


@router.get("/api/rooms/{room_id}/history/{doc}")
async def document_at(
    room_id: str,
    doc: DocName,
    principal: CurrentPrincipal,
    db: DbSession,
    at: Annotated[str | None, Query(max_length=64)] = None,
) -> HistoryOut:
    """The document as it stood at ``at`` (ISO 8601; without it: now)."""
    room, _role = await rooms.room_for(db, principal, room_id)
    moment = parse_moment(at, room)
    seq, ydoc = await history.doc_at(db, room_id, _doc(doc), moment)
    out = HistoryOut(
        at=moment or datetime.now(UTC), seq=seq, doc=doc, text=history.plain_text(ydoc, doc)
    )
    if doc == "code":
        out.language = history.code_language(ydoc) or room.language
        tree = read_tree(ydoc, out.language)
        out.entry, out.files = tree.entry, tree.files
    elif doc == "board":
        out.elements = _board_elements(ydoc)
    return out


def _board_elements(ydoc: Any) -> list[dict[str, Any]] | None:
    """The board's elements through the whiteboard's module, when it exists."""
    try:
        from codepair.domain.record import board  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    elements: list[dict[str, Any]] = board.board_elements(ydoc)
    return elements


async def _authors(db: DbSession, room: Room) -> list[ReplayAuthor]:
    """Who the log's ``author`` labels are: users by id, candidates by the name they joined
    with (from the timeline), the server's own updates as system."""
    labels = (
        await db.scalars(select(YUpdate.author).where(YUpdate.room_id == room.id).distinct())
    ).all()
    joined = {
        str(e.get("who")): e["actor"]
        for e in await timeline.room_timeline(db, room.id)
        if e["type"] == "joined" and e.get("who") and e["actor"] is not None
    }
    user_ids = [
        int(label[5:]) for label in labels if label.startswith("user:") and label[5:].isdigit()
    ]
    users = {
        row.id: row
        for row in (
            await db.execute(select(User.id, User.name, User.role).where(User.id.in_(user_ids)))
        ).all()
    }
    out = []
    for label in sorted(labels):
        if label in joined:
            out.append(ReplayAuthor(id=label, **joined[label]))
        elif label.startswith("user:") and label[5:].isdigit() and int(label[5:]) in users:
            user = users[int(label[5:])]
            out.append(ReplayAuthor(id=label, name=user.name, role=str(user.role)))
        elif label.startswith("candidate:"):
            out.append(ReplayAuthor(id=label, name=room.candidate_name, role="candidate"))
        else:
            out.append(ReplayAuthor(id=label, name=label or "unknown", role="system"))
    return out


def _packed(rows: list[Any], index: dict[str, int]) -> list[tuple[int, int, int, str]]:
    return [
        (
            row.seq,
            int(row.at.timestamp() * 1000),
            index.get(row.author, -1),
            base64.b64encode(row.update).decode(),
        )
        for row in rows
    ]


@router.get("/api/rooms/{room_id}/history/{doc}/updates")
async def document_updates(
    room_id: str,
    doc: DocName,
    principal: CurrentPrincipal,
    db: DbSession,
    after: Annotated[int, Query(ge=-1, le=2**62)] = -1,
    limit: Annotated[int, Query(ge=1, le=UPDATES_PAGE_MAX)] = 1000,
) -> UpdatesOut:
    """A page of the document's updates with their time and author, for replay clients."""
    room, _role = await rooms.room_for(db, principal, room_id)
    rows = await history.updates_page(db, room_id, _doc(doc), after=after, limit=limit)
    authors = await _authors(db, room)
    index = {a.id: i for i, a in enumerate(authors)}
    return UpdatesOut(
        doc=doc,
        authors=authors,
        updates=_packed(rows, index),
        next_after=rows[-1].seq if len(rows) == limit else None,
    )


async def _replay_key(db: DbSession, room: Room) -> tuple[Any, ...]:
    """What the replay answer of an ended room depends on, in four indexed aggregates."""
    updates = (
        await db.execute(
            select(YUpdate.doc, func.max(YUpdate.seq), func.count())
            .where(YUpdate.room_id == room.id)
            .group_by(YUpdate.doc)
            .order_by(YUpdate.doc)
        )
    ).all()
    frames = await db.scalar(
        select(func.count()).select_from(YKeyframe).where(YKeyframe.room_id == room.id)
    )
    events = (
        await db.execute(
            select(func.max(RoomEvent.id), func.count()).where(RoomEvent.room_id == room.id)
        )
    ).one()
    runs = (
        await db.execute(
            select(func.count(), func.count(Run.finished_at)).where(Run.room_id == room.id)
        )
    ).one()
    return (
        room.id, room.ended_at, room.title, room.candidate_name, room.language,
        tuple(tuple(u) for u in updates), frames, tuple(events), tuple(runs),
    )


@router.get("/api/rooms/{room_id}/replay", response_model=ReplayOut)
async def replay(
    room_id: str, principal: CurrentPrincipal, db: DbSession, request: Request
) -> Response:
    """The whole record in one answer: keyframes and updates of the code and the notes, the
    timeline and the runs. Viewing it is audited. An ended room's answer is kept serialized
    (keyed by what can still change) so watching it again costs a few aggregates."""
    room, _role = await rooms.room_for(db, principal, room_id)
    key = await _replay_key(db, room) if room.ended_at is not None else None
    answer = _replay_cache.get(key) if key is not None else None
    if answer is None:
        answer = _Serialized((await _build_replay(db, room)).model_dump_json().encode())
        if key is not None:
            _replay_cache[key] = answer
            while len(_replay_cache) > REPLAY_CACHE_MAX:
                _replay_cache.popitem(last=False)
    elif key is not None:
        _replay_cache.move_to_end(key)
    # An hour: 2.6 MB of JSON, 1.1 MB gzipped (bench/replay_bench.py).
    zipped = accepts_gzip(request)
    if zipped and answer.gzipped is None:
        answer.gzipped = await gzipped(answer.body)
    await _audit_viewed(db, principal, request, room_id)
    return json_response(answer.body, gzipped_body=answer.gzipped if zipped else None)


async def _build_replay(db: DbSession, room: Room) -> ReplayOut:
    room_id = room.id
    authors = await _authors(db, room)
    index = {a.id: i for i, a in enumerate(authors)}
    docs = {}
    for name in REPLAY_DOCS:
        frames = await history.keyframes(db, room_id, name)
        rows = await history.updates_page(db, room_id, name, after=-1, limit=2**31)
        docs[name] = ReplayDoc(
            keyframes=[
                Keyframe(seq=f.seq, at=f.at, state=base64.b64encode(f.state).decode())
                for f in frames
            ],
            updates=_packed(rows, index),
        )
    run_rows = (
        await db.scalars(
            select(Run).where(Run.room_id == room_id).order_by(Run.created_at).limit(
                REPLAY_RUNS_MAX
            )
        )
    ).all()
    runs = [
        ReplayRun(
            id=r.id, created_at=r.created_at, finished_at=r.finished_at, status=r.status,
            language=r.language, author={"name": r.author_name, "role": r.author_role},
            code=r.code, stdin=r.stdin, stdout=r.stdout, stderr=r.stderr,
            compile_output=r.compile_output, exit_code=r.exit_code,
        )
        for r in run_rows
    ]
    events = await timeline.room_timeline(db, room_id)
    return ReplayOut(
        room=ReplayRoom(
            id=room.id, title=room.title, candidate_name=room.candidate_name,
            language=room.language, created_at=room.created_at, started_at=room.started_at,
            ended_at=room.ended_at,
        ),
        now=datetime.now(UTC),
        authors=authors,
        docs=docs,
        events=[TimelineEvent.model_validate(e) for e in events],
        runs=runs,
    )


async def _audit_viewed(db: DbSession, principal: Any, request: Request, room_id: str) -> None:
    try:
        from codepair.domain.operations import audit
    except ImportError:  # an install without the audit log
        return
    await audit.record(
        db, "replay.viewed", actor=principal, ip=client_ip(request), room_id=room_id
    )
