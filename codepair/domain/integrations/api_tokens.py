"""Personal API tokens for automation (an applicant tracking system creating rooms).

A token is ``cpat_`` + 256 random bits, shown once and stored as its SHA-256. It acts as its
user, only within its scopes, and only on the room endpoints those scopes name: never on
sockets (the hub takes signed tokens only), never on the account, users or tokens
themselves. It stops working when revoked, and when its user is deactivated or deleted.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.accounts import User
from codepair.db.models.integrations import ApiToken
from codepair.domain.errors import Conflict, Forbidden, NotFound, Unauthorized
from codepair.domain.interviews.access import INVALID_TOKEN
from codepair.security.tokens import Principal, new_id

PREFIX = "cpat_"
SCOPES = ("rooms:read", "rooms:write")
HINT_CHARS = 12
MAX_TOKEN_CHARS = 200
# Writing last use on every request would make every API call a write; once a minute will do.
LAST_USED_GRANULARITY = timedelta(minutes=1)

_ROOM = r"/api/rooms/[^/]+"
# (method, path pattern, scope): the endpoints a token may reach, and nothing else.
_ALLOWED: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), scope)
    for method, pattern, scope in (
        ("GET", r"/api/rooms", "rooms:read"),
        ("GET", _ROOM, "rooms:read"),
        ("POST", r"/api/rooms", "rooms:write"),
        ("PATCH", _ROOM, "rooms:write"),
        ("DELETE", _ROOM, "rooms:write"),
        ("POST", _ROOM + r"/end", "rooms:write"),
        ("POST", _ROOM + r"/invite", "rooms:write"),
        ("POST", _ROOM + r"/interviewers", "rooms:write"),
        ("DELETE", _ROOM + r"/interviewers/[^/]+", "rooms:write"),
    )
]


def looks_like_api_token(token: str) -> bool:
    return token.startswith(PREFIX)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def required_scope(method: str, path: str) -> str | None:
    """The scope a request needs, or None when no API token may make it."""
    method = "GET" if method == "HEAD" else method
    for allowed_method, pattern, scope in _ALLOWED:
        if method == allowed_method and pattern.match(path):
            return scope
    return None


async def create_token(
    db: AsyncSession, user_id: int, *, name: str, scopes: list[str], limit: int
) -> tuple[ApiToken, str]:
    """A new token and its one-time plain value."""
    live = await db.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if (live or 0) >= limit:
        raise Conflict(f"At most {limit} API tokens; revoke one first")
    plain = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id(),
        user_id=user_id,
        name=name,
        token_hash=hash_token(plain),
        hint=plain[:HINT_CHARS],
        scopes=" ".join(s for s in SCOPES if s in scopes),
    )
    db.add(row)
    await db.flush()
    return row, plain


async def list_tokens(db: AsyncSession, user_id: int) -> list[ApiToken]:
    rows = await db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    )
    return list(rows.all())


async def revoke_token(db: AsyncSession, user_id: int, token_id: str) -> None:
    row = await db.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("API token not found")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await db.flush()


_BY_HASH = (
    select(
        ApiToken.id,
        ApiToken.scopes,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.role,
        User.name,
        User.is_active,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _principal(row: Any, method: str, path: str, now: datetime) -> tuple[Principal, str | None]:
    """The user behind a looked-up token for this request, and the token's id when its
    last use is due to be written; or Unauthorized / Forbidden."""
    if row is None or row.revoked_at is not None or not row.is_active:
        raise Unauthorized(INVALID_TOKEN)
    scope = required_scope(method, path)
    if scope is None:
        raise Forbidden("API tokens can only be used on the rooms API")
    if scope not in row.scopes.split():
        raise Forbidden(f"This API token lacks the {scope} scope")
    last = row.last_used_at
    if last is not None and last.tzinfo is None:  # a plain sqlite3 read has no zone
        last = last.replace(tzinfo=UTC)
    stale = row.id if last is None or now - last >= LAST_USED_GRANULARITY else None
    principal = Principal(kind="access", role=str(row.role), name=row.name, user_id=row.user_id)
    return principal, stale


def check_api_token(
    conn: Connection, token: str, method: str, path: str
) -> tuple[Principal, str | None]:
    """:func:`authenticate_api_token`'s read on a synchronous connection (run through
    :class:`codepair.db.reads.Reads`, like the JWT check): no session, no write; the second
    value is the token id whose last use :func:`touch` should record, if due."""
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized(INVALID_TOKEN)
    row = conn.execute(_BY_HASH, {"token_hash": hash_token(token)}).one_or_none()
    return _principal(row, method, path, datetime.now(UTC))


async def touch(db: AsyncSession, token_id: str) -> None:
    """Record a token's use now."""
    now = datetime.now(UTC)
    await db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


async def authenticate_api_token(db: AsyncSession, token: str, method: str, path: str) -> Principal:
    """The user behind an API token, for this one request (recording its use), or
    Unauthorized / Forbidden."""
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized(INVALID_TOKEN)
    row = (await db.execute(_BY_HASH, {"token_hash": hash_token(token)})).one_or_none()
    principal, stale = _principal(row, method, path, datetime.now(UTC))
    if stale is not None:
        await touch(db, stale)
    return principal
