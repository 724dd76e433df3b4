"""Signed tokens: short-lived access tokens for users and room-bound tokens for candidates.

Both are HS256 JWTs signed with the server secret, so the hub can check them without
calling core. What a signature cannot say (a deactivated user, a revoked session, an ended
room) is checked against the database by :mod:`codepair.domain.interviews.access`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

ALGORITHM = "HS256"
ISSUER = "codepair"

TokenKind = Literal["access", "candidate"]


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by us."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request or socket acts as, as the token says.

    ``role`` is ``lead``, ``interviewer`` or ``candidate``. Users carry ``user_id`` and
    ``session_id``; candidates carry ``room_id``, ``invite_id`` and ``candidate_id``.
    """

    kind: TokenKind
    role: str
    name: str
    user_id: int | None = None
    session_id: str | None = None
    room_id: str | None = None
    invite_id: int | None = None
    candidate_id: str | None = None

    @property
    def is_candidate(self) -> bool:
        return self.kind == "candidate"

    @property
    def is_lead(self) -> bool:
        return self.kind == "access" and self.role == "lead"

    @property
    def identity(self) -> str:
        """A stable label for logs and the update log's ``author``."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"candidate:{self.candidate_id}"


def issue_access_token(
    key: str, *, user_id: int, session_id: str, role: str, name: str, ttl: timedelta
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "typ": "access",
        "sub": str(user_id),
        "sid": session_id,
        "role": role,
        "name": name,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def issue_candidate_token(
    key: str, *, room_id: str, invite_id: int, name: str, ttl: timedelta
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "typ": "candidate",
        "sub": f"candidate:{secrets.token_hex(8)}",
        "room": room_id,
        "inv": invite_id,
        "name": name,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_token(key: str, token: str) -> Principal:
    """Verify signature, algorithm, issuer and expiry; raise :class:`InvalidToken` otherwise."""
    return _verify(key, token)[0]


class VerifiedTokens:
    """Tokens whose signature and claims were verified already, until they expire.

    Every REST request and socket carries a token, and verifying one with PyJWT (base64 and
    JSON of header and claims, the HMAC, the claim checks) cost more than the database check
    that follows it. A token is the same bytes on every request of a session, so it is
    verified once and its principal kept, bounded, until its ``exp``. Only verified tokens are
    kept: a forged one costs a verification every time, as before.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[str, str], tuple[Principal, float]] = OrderedDict()

    def decode(self, key: str, token: str) -> Principal:
        """:func:`decode_token`, from the cache when this token was verified before."""
        hit = self._seen.get((key, token))
        if hit is not None and time.time() < hit[1]:
            return hit[0]
        principal, expires = _verify(key, token)
        self._seen[(key, token)] = (principal, expires)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)  # the oldest verified
        return principal


def _verify(key: str, token: str) -> tuple[Principal, float]:
    if not token or len(token) > 4096:
        raise InvalidToken("missing or oversized token")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    try:
        return _principal(claims), float(claims["exp"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc


def _principal(claims: dict[str, Any]) -> Principal:
    if claims["typ"] == "access":
        return Principal(
            kind="access",
            role=str(claims["role"]),
            name=str(claims["name"]),
            user_id=int(claims["sub"]),
            session_id=str(claims["sid"]),
        )
    if claims["typ"] == "candidate":
        return Principal(
            kind="candidate",
            role="candidate",
            name=str(claims["name"]),
            room_id=str(claims["room"]),
            invite_id=int(claims["inv"]),
            candidate_id=str(claims["sub"]).removeprefix("candidate:"),
        )
    raise InvalidToken("unknown token type")


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite_token() -> str:
    """An unguessable invite token: 192 bits."""
    return secrets.token_urlsafe(24)


def new_id(nbytes: int = 9) -> str:
    """A short random URL-safe id for rooms and runs."""
    return secrets.token_urlsafe(nbytes)
