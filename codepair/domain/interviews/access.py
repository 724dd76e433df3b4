"""Who is asking, and what they may do in a room.

The token's signature proves who issued it; this module checks what only the database knows:
the user is still active, the sign-in session has not been revoked (logout, password change,
deactivation), and a candidate's room has not ended and their invite has not been rotated.
REST requests go through :func:`authenticate`; socket handshakes through
:func:`access_to_room`, which asks the same and the room role in one query.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection, Row, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.accounts import AuthSession, User
from codepair.db.models.interviews import Invite, Room, RoomInterviewer
from codepair.domain.errors import Unauthorized
from codepair.security.tokens import InvalidToken, Principal, VerifiedTokens

RoomRole = Literal["owner", "co", "lead", "candidate"]
AnyRow = Row[*tuple[Any, ...]]

INVALID_TOKEN = "Invalid or expired token"


# Verified once per token, not on every request (tokens.VerifiedTokens; ADR 8).
_VERIFIED = VerifiedTokens()


def _decode(settings: Settings, token: str) -> Principal:
    try:
        return _VERIFIED.decode(settings.signing_key(), token)
    except InvalidToken as exc:
        raise Unauthorized(INVALID_TOKEN) from exc


# Built once, with bound parameters: building a statement costs more than running it
# (its operators and coercions), and a statement object keeps its compiled-cache key.
_USER = (
    select(User.is_active, User.role, User.name, AuthSession.revoked_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), AuthSession.id == bindparam("session_id"))
)
# The same, with the room's owner and whether the user is one of its interviewers.
_USER_IN_ROOM = (
    _USER.add_columns(Room.owner_id, RoomInterviewer.user_id.label("co_id"))
    .outerjoin(Room, Room.id == bindparam("room_id"))
    .outerjoin(
        RoomInterviewer,
        and_(RoomInterviewer.room_id == Room.id, RoomInterviewer.user_id == User.id),
    )
)
_CANDIDATE = (
    select(Room.ended_at, Invite.revoked_at)
    .join(Invite, Invite.room_id == Room.id)
    .where(Room.id == bindparam("room_id"), Invite.id == bindparam("invite_id"))
)
# A room's owner and whether the user is one of its interviewers.
_ROOM_FOR_USER = (
    select(Room.owner_id, RoomInterviewer.user_id.label("co_id"))
    .outerjoin(
        RoomInterviewer,
        and_(RoomInterviewer.room_id == Room.id, RoomInterviewer.user_id == bindparam("user_id")),
    )
    .where(Room.id == bindparam("room_id"))
)


# The same check as a subquery, for a hot read whose statement carries it (the room list:
# one statement a request instead of two; ADR 8). Its columns keep their names.
USER_CHECK = _USER.subquery("user_check")


def _user_params(principal: Principal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "session_id": principal.session_id}


def _candidate_params(principal: Principal) -> dict[str, Any]:
    return {"room_id": principal.room_id, "invite_id": principal.invite_id}


def _current_user(principal: Principal, row: AnyRow | None) -> Principal:
    if row is None or not row.is_active or row.revoked_at is not None:
        raise Unauthorized(INVALID_TOKEN)
    # The role and name may have changed since the token was issued: the database wins.
    return Principal(
        kind="access",
        role=str(row.role),
        name=row.name,
        user_id=principal.user_id,
        session_id=principal.session_id,
    )


def _current_candidate(principal: Principal, row: AnyRow | None) -> Principal:
    if row is None or row.ended_at is not None or row.revoked_at is not None:
        raise Unauthorized(INVALID_TOKEN)
    return principal


def _role(principal: Principal, room_id: str, owner_id: int | None, is_co: bool) -> RoomRole | None:
    """The part in a room of the given owner: see :func:`room_role`."""
    if principal.is_candidate:
        return "candidate" if principal.room_id == room_id else None
    if owner_id is None:
        return None
    if owner_id == principal.user_id:
        return "owner"
    if principal.is_lead:
        return "lead"
    return "co" if is_co else None


async def authenticate(db: AsyncSession, settings: Settings, token: str) -> Principal:
    """The principal behind ``token``, or :class:`Unauthorized`."""
    principal = _decode(settings, token)
    if principal.kind == "access":
        user = (await db.execute(_USER, _user_params(principal))).one_or_none()
        return _current_user(principal, user)
    invite = (await db.execute(_CANDIDATE, _candidate_params(principal))).one_or_none()
    return _current_candidate(principal, invite)


def decode(settings: Settings, token: str) -> Principal:
    """What the token says (signature, expiry, claims), before the database is asked;
    :class:`Unauthorized` when it says nothing."""
    return _decode(settings, token)


def authenticate_conn(conn: Connection, settings: Settings, token: str) -> Principal:
    """:func:`authenticate` on a synchronous connection: the REST principal check, run
    through :class:`codepair.db.reads.Reads` (one prebuilt query; ADR 8)."""
    return current_conn(conn, _decode(settings, token))


def current_conn(conn: Connection, principal: Principal) -> Principal:
    """The database's half of :func:`authenticate_conn`, for a token already decoded."""
    if principal.kind == "access":
        user = conn.execute(_USER, _user_params(principal)).one_or_none()
        return _current_user(principal, user)
    invite = conn.execute(_CANDIDATE, _candidate_params(principal)).one_or_none()
    return _current_candidate(principal, invite)


def current_user_row(principal: Principal, row: Any) -> Principal:
    """The database's half of the check of a user's token, from a row that carries
    :data:`USER_CHECK`'s columns (None: no such user or session); :class:`Unauthorized`
    when the token no longer works."""
    assert principal.kind == "access"
    return _current_user(principal, row)


def user_check_params(principal: Principal) -> dict[str, Any]:
    """The bound parameters :data:`USER_CHECK` needs."""
    return _user_params(principal)


def room_role_conn(conn: Connection, principal: Principal, room_id: str) -> RoomRole | None:
    """:func:`room_role` on a synchronous connection (for reads through ``Reads``)."""
    if principal.is_candidate:
        return _role(principal, room_id, None, False)
    params = {"room_id": room_id, "user_id": principal.user_id}
    room = conn.execute(_ROOM_FOR_USER, params).one_or_none()
    if room is None:
        return None
    return _role(principal, room_id, room.owner_id, room.co_id is not None)


async def room_role(db: AsyncSession, principal: Principal, room_id: str) -> RoomRole | None:
    """The principal's part in the room, or None when they have no business there.

    A candidate belongs only to the room their token names. Leads see every room.
    """
    if principal.is_candidate:
        return _role(principal, room_id, None, False)
    params = {"room_id": room_id, "user_id": principal.user_id}
    room = (await db.execute(_ROOM_FOR_USER, params)).one_or_none()
    if room is None:
        return None
    return _role(principal, room_id, room.owner_id, room.co_id is not None)


def access_to_room(
    conn: Connection, settings: Settings, token: str, room_id: str
) -> tuple[Principal, RoomRole | None]:
    """:func:`authenticate` and :func:`room_role` in one query, for socket handshakes
    (run through :class:`codepair.db.reads.Reads`)."""
    principal = _decode(settings, token)
    if principal.is_candidate:
        invite = conn.execute(_CANDIDATE, _candidate_params(principal)).one_or_none()
        return _current_candidate(principal, invite), _role(principal, room_id, None, False)
    row = conn.execute(_USER_IN_ROOM, {**_user_params(principal), "room_id": room_id}).one_or_none()
    user = _current_user(principal, row)
    assert row is not None
    return user, _role(user, room_id, row.owner_id, row.co_id is not None)
