"""Rooms as the REST API shows them, read in one query each (ADR 8).

The dashboard's list (and search) and a room's page are the hottest reads of the REST API.
Each is one prebuilt statement: the room's columns, its owner, its live invite token, its
co-interviewers as a JSON array (aggregated by the database) and, for a listing, the total
(``count(*) OVER ()``). No ORM entities are loaded, and the statements are built once per
database dialect and filter shape, with bound parameters: building a statement cost more than
running it. The functions take a synchronous ``Connection``: they run through
:class:`codepair.db.reads.Reads` (on SQLite on the loop, without aiosqlite's thread hops).

A room's chat history (``GET /api/rooms/{id}/messages``) is read the same way, with the
access check in the same read. Writes (create, update, end, invite, interviewers) stay on the
ORM in :mod:`codepair.domain.interviews.rooms`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from codepair.config import Settings
from codepair.db.models.accounts import User
from codepair.db.models.interviews import ChatMessage, Invite, Room, RoomInterviewer
from codepair.domain.interviews import access
from codepair.domain.interviews.access import RoomRole
from codepair.domain.interviews.rooms import RoomFilter, status_at
from codepair.security.tokens import Principal

Owner = aliased(User, name="owner")

# Room columns no answer shows (room_dict names those it shows).
_UNREAD = {"updated_at"}


def _interviewers_json(dialect: str) -> ColumnElement[Any]:
    """The room's co-interviewers as a JSON array of ``{id, name, email}``, by user id."""
    if dialect == "postgresql":
        person = func.json_build_object("id", User.id, "name", User.name, "email", User.email)
        agg = func.json_agg(aggregate_order_by(person, User.id))
    else:  # SQLite: rows come in the primary key's order (room_id, user_id)
        agg = func.json_group_array(
            func.json_object("id", User.id, "name", User.name, "email", User.email)
        )
    return (
        select(cast(agg, Text))
        .select_from(RoomInterviewer)
        .join(User, User.id == RoomInterviewer.user_id)
        .where(RoomInterviewer.room_id == Room.id)
        .scalar_subquery()
    )


# The room's current invite: the newest one not revoked.
_INVITE_TOKEN = (
    select(Invite.token)
    .where(Invite.room_id == Room.id, Invite.revoked_at.is_(None))
    .order_by(Invite.id.desc())
    .limit(1)
    .scalar_subquery()
)


def _room_columns(dialect: str) -> list[Any]:
    return [
        *(c for c in Room.__table__.columns if c.name not in _UNREAD),
        Owner.name.label("owner_name"),
        Owner.email.label("owner_email"),
        _INVITE_TOKEN.label("invite_token"),
        _interviewers_json(dialect).label("interviewers_json"),
    ]


def _status_is(status: str) -> ColumnElement[bool]:
    """SQL for ``status_at(...) == status`` at the bound time ``now``."""
    now: BindParameter[datetime] = bindparam("now")
    expr = case(
        (Room.ended_at.is_not(None), literal("ended")),
        (
            Room.started_at.is_(None) & Room.scheduled_at.is_not(None) & (Room.scheduled_at > now),
            literal("scheduled"),
        ),
        else_=literal("live"),
    )
    return expr == status


def _visible() -> ColumnElement[bool]:
    """Rooms an interviewer (not a lead) may list: owned, or co-interviewed."""
    is_co = exists().where(
        RoomInterviewer.room_id == Room.id, RoomInterviewer.user_id == bindparam("user_id")
    )
    return or_(Room.owner_id == bindparam("user_id"), is_co)


def _matches() -> ColumnElement[bool]:
    pattern: BindParameter[str] = bindparam("pattern")
    return or_(
        func.lower(Room.candidate_name).like(pattern, escape="\\"),
        func.lower(Room.title).like(pattern, escape="\\"),
    )


@dataclass(frozen=True)
class _Shape:
    dialect: str
    is_lead: bool
    status: str | None
    search: bool
    kind: bool = False  # only rooms of one kind (live interviews, take-homes)


def _filters(shape: _Shape) -> list[ColumnElement[bool]]:
    where = []
    if not shape.is_lead:
        where.append(_visible())
    if shape.status:
        where.append(_status_is(shape.status))
    if shape.search:
        where.append(_matches())
    if shape.kind:
        where.append(Room.kind == bindparam("kind"))
    return where


def _build_list(shape: _Shape) -> tuple[Select[Any], Select[Any]]:
    where = _filters(shape)
    # The page's ids (and the total) first, then the details of those rows alone: with the
    # window over the details, the database built the invite and the co-interviewer array of
    # every matching room before LIMIT kept 20 of them (0.45 ms against 0.16 ms for 200
    # rooms on SQLite, and growing with the rooms an organization keeps).
    ids = (
        select(Room.id.label("id"), func.count().over().label("total"))
        .where(*where)
        .order_by(Room.created_at.desc(), Room.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    page = (
        select(*_room_columns(shape.dialect), ids.c.total)
        .select_from(ids)
        .join(Room, Room.id == ids.c.id)
        .join(Owner, Owner.id == Room.owner_id)
        .order_by(Room.created_at.desc(), Room.id)
    )
    count = select(func.count()).select_from(Room).where(*where)
    return page, count


_LISTS: dict[_Shape, tuple[Select[Any], Select[Any]]] = {}
_ONE: dict[str, Select[Any]] = {}
_CHECKED: dict[_Shape, Select[Any]] = {}


def _list_statements(shape: _Shape) -> tuple[Select[Any], Select[Any]]:
    statements = _LISTS.get(shape)
    if statements is None:  # at most 2 x 4 x 2 shapes per dialect, each built once
        statements = _LISTS[shape] = _build_list(shape)
    return statements


def _checked_statement(shape: _Shape) -> Select[Any]:
    """The page with the user check's columns: one row of the check joined to the page's
    rows, so that an empty page still answers the check (with NULL room columns)."""
    stmt = _CHECKED.get(shape)
    if stmt is None:
        rows = _list_statements(shape)[0].subquery("listed")
        check = access.USER_CHECK
        assert not set(check.c.keys()) & set(rows.c.keys())
        stmt = _CHECKED[shape] = (
            select(*check.c, *rows.c)
            .select_from(check.outerjoin(rows, true()))
            .order_by(rows.c.created_at.desc(), rows.c.id)
        )
    return stmt


def _build_one(dialect: str) -> Select[Any]:
    return (
        select(*_room_columns(dialect), RoomInterviewer.user_id.label("co_id"))
        .join(Owner, Owner.id == Room.owner_id)
        .outerjoin(
            RoomInterviewer,
            and_(
                RoomInterviewer.room_id == Room.id,
                RoomInterviewer.user_id == bindparam("user_id"),
            ),
        )
        .where(Room.id == bindparam("room_id"))
    )


def _one_statement(dialect: str) -> Select[Any]:
    stmt = _ONE.get(dialect)
    if stmt is None:
        stmt = _ONE[dialect] = _build_one(dialect)
    return stmt


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def room_dict(row: Any, role: RoomRole, settings: Settings, now: datetime) -> dict[str, Any]:
    """The fields of ``RoomOut`` in its order (for a candidate, ``CandidateRoomOut``'s).

    The room list writes these dicts to JSON as they are, without building the model (ADR 8,
    addendum of 2026-12-07, "JSON without a model"): they must hold exactly ``RoomOut``'s
    fields, and a field added there must be added here (tests/test_rest_reads.py compares
    them). A column added to ``rooms`` shows nowhere until it is.
    """
    m = row._mapping  # by key: a Row's attributes cost seven times as much (SQLAlchemy 2.1)
    ended_at = m["ended_at"]
    status = status_at(ended_at, m["started_at"], m["scheduled_at"], now)
    if role == "candidate":
        return {
            "id": m["id"],
            "title": m["title"],
            "candidate_name": m["candidate_name"],
            "language": m["language"],
            "status": status,
            "scheduled_at": m["scheduled_at"],
            "duration_minutes": m["duration_minutes"],
            "runs_enabled": m["runs_enabled"],
            "autocomplete": m["autocomplete"],
            "started_at": m["started_at"],
            "kind": m["kind"],
            "ai_assistant": m["ai_assistant"],
        }
    token = m["invite_token"] if ended_at is None else None
    return {
        "id": m["id"],
        "title": m["title"],
        "candidate_name": m["candidate_name"],
        "language": m["language"],
        "status": status,
        "scheduled_at": m["scheduled_at"],
        "duration_minutes": m["duration_minutes"],
        "runs_enabled": m["runs_enabled"],
        "autocomplete": m["autocomplete"],
        "started_at": m["started_at"],
        "kind": m["kind"],
        "ai_assistant": m["ai_assistant"],
        # The database writes each co-interviewer as {id, name, email}: PersonOut's order.
        "owner": {"id": m["owner_id"], "name": m["owner_name"], "email": m["owner_email"]},
        "interviewers": json.loads(m["interviewers_json"] or "[]"),
        "created_at": m["created_at"],
        "ended_at": ended_at,
        "invite_token": token,
        "invite_url": f"{settings.public_url}/join/{token}" if token else None,
        "my_role": role,
        "candidate_email": m["candidate_email"],
        "candidate_timezone": m["candidate_timezone"],
        "ai_prompt": m["ai_prompt"],
    }


def list_rooms(
    conn: Connection, settings: Settings, principal: Principal, flt: RoomFilter
) -> tuple[list[dict[str, Any]], int]:
    """A page of the rooms ``principal`` may see, newest first, and how many there are."""
    shape = _Shape(conn.dialect.name, principal.is_lead, flt.status, bool(flt.q), bool(flt.kind))
    now = datetime.now(UTC)
    params = _list_params(shape, principal, flt, now)
    rows = conn.execute(_list_statements(shape)[0], params).all()
    return _page(conn, shape, rows, params, settings, principal, now)


def list_rooms_checked(
    conn: Connection, settings: Settings, claims: Principal, flt: RoomFilter
) -> tuple[Principal, tuple[list[dict[str, Any]], int]]:
    """:func:`list_rooms` for a user's token whose database half is still to check: the
    check (:data:`access.USER_CHECK`) rides on the listing's statement, one statement a
    request instead of two (ADR 8). The principal as the database has it, and the page;
    :class:`Unauthorized` as :func:`access.current_conn` answers it."""
    shape = _Shape(conn.dialect.name, claims.is_lead, flt.status, bool(flt.q), bool(flt.kind))
    now = datetime.now(UTC)
    params = _list_params(shape, claims, flt, now) | access.user_check_params(claims)
    rows = conn.execute(_checked_statement(shape), params).all()
    principal = access.current_user_row(claims, rows[0] if rows else None)
    if principal.is_lead != claims.is_lead:  # the role changed since the token was issued
        return principal, list_rooms(conn, settings, principal, flt)
    rooms = [row for row in rows if row.id is not None]  # not the check's row alone
    return principal, _page(conn, shape, rooms, params, settings, principal, now)


def _list_params(
    shape: _Shape, principal: Principal, flt: RoomFilter, now: datetime
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": flt.limit, "offset": flt.offset}
    if not shape.is_lead:
        params["user_id"] = principal.user_id
    if shape.status:
        params["now"] = now
    if shape.search:
        params["pattern"] = _like_pattern(flt.q or "")
    if shape.kind:
        params["kind"] = flt.kind
    return params


def _page(
    conn: Connection,
    shape: _Shape,
    rows: Sequence[Any],
    params: dict[str, Any],
    settings: Settings,
    principal: Principal,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    if rows:
        total = int(rows[0].total)
    elif params["offset"] == 0:
        total = 0
    else:  # past the end: the window had no row to count on
        total = int(conn.execute(_list_statements(shape)[1], params).scalar_one())
    items = []
    for row in rows:
        role: RoomRole = (
            "owner"
            if row.owner_id == principal.user_id
            else ("lead" if principal.is_lead else "co")
        )
        items.append(room_dict(row, role, settings, now))
    return items, total


def read_room(
    conn: Connection, settings: Settings, principal: Principal, room_id: str
) -> tuple[dict[str, Any], RoomRole] | None:
    """The room and the principal's part in it, or None when they may not see it (the same
    decisions as :func:`codepair.domain.interviews.access.room_role`)."""
    if principal.is_candidate and principal.room_id != room_id:
        return None
    params = {"room_id": room_id, "user_id": principal.user_id}
    row = conn.execute(_one_statement(conn.dialect.name), params).one_or_none()
    if row is None:
        return None
    role: RoomRole | None
    if principal.is_candidate:
        role = "candidate"
    elif row.owner_id == principal.user_id:
        role = "owner"
    elif principal.is_lead:
        role = "lead"
    else:
        role = "co" if row.co_id is not None else None
    if role is None:
        return None
    return room_dict(row, role, settings, datetime.now(UTC)), role


# A page of a room's chat, newest first (reversed by the caller): with and without a cursor.
_CHAT_COLUMNS = (
    ChatMessage.id,
    ChatMessage.author_name,
    ChatMessage.author_role,
    ChatMessage.text,
    ChatMessage.sent_at,
)
_CHAT = (
    select(*_CHAT_COLUMNS)
    .where(ChatMessage.room_id == bindparam("room_id"))
    .order_by(ChatMessage.id.desc())
    .limit(bindparam("limit"))
)
_CHAT_BEFORE = _CHAT.where(ChatMessage.id < bindparam("before_id"))


def chat_page(
    conn: Connection, principal: Principal, room_id: str, *, limit: int, before_id: int | None
) -> list[dict[str, Any]] | None:
    """The latest ``limit`` messages (older than ``before_id`` if given), oldest first, as
    ``GET /api/rooms/{id}/messages`` shows them; None when the principal may not see the room."""
    if access.room_role_conn(conn, principal, room_id) is None:
        return None
    params: dict[str, Any] = {"room_id": room_id, "limit": limit}
    if before_id is not None:
        params["before_id"] = before_id
    rows = conn.execute(_CHAT if before_id is None else _CHAT_BEFORE, params).all()
    return [
        {
            "id": r.id,
            "author": {"name": r.author_name, "role": r.author_role},
            "text": r.text,
            "sent_at": r.sent_at,
        }
        for r in reversed(rows)
    ]
