"""Recent handshake decisions, so that a reconnect storm does not become a database storm.

After a restart every browser reconnects at once, each with two or three sockets (code,
notes, events) carrying the same token. A positive decision (this token may open this room,
with this role) is reused for a few seconds. Notices that take access away (a user
deactivated, a room ended) forget the affected entries at once; changes that send no notice
(a logout, a rotated invite) take effect within ``ttl`` seconds. Refusals are never cached.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import structlog

from codepair.config import Settings
from codepair.db.reads import Reads
from codepair.domain.errors import DomainError
from codepair.domain.interviews.access import access_to_room
from codepair.hub.docroom import DOCS
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.hub")

Decision = tuple[Principal, str | None]  # the principal and their room role (None: refused)

DEFAULT_TTL = 5.0


class AdmissionCache:
    """``(token, room_id) -> (principal, room_role)`` for ``ttl`` seconds, LRU-bounded."""

    def __init__(self, ttl: float = DEFAULT_TTL, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, Principal, str]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[Decision]] = {}

    async def admit(
        self, token: str, room_id: str, check: Callable[[], Awaitable[Decision]]
    ) -> Decision:
        """The decision for ``(token, room_id)``: cached, or ``check()`` run once for all the
        sockets that ask at the same moment."""
        cached = self.get(token, room_id)
        if cached is not None:
            return cached
        key = (token, room_id)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            decision = await check()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._inflight[key]
        future.set_result(decision)
        principal, role = decision
        if role is not None:
            self.put(token, room_id, principal, role)
        return decision

    def get(self, token: str, room_id: str) -> tuple[Principal, str] | None:
        entry = self._entries.get((token, room_id))
        if entry is None:
            return None
        expires, principal, role = entry
        if expires < time.monotonic():
            del self._entries[(token, room_id)]
            return None
        return principal, role

    def put(self, token: str, room_id: str, principal: Principal, role: str) -> None:
        self._entries[(token, room_id)] = (time.monotonic() + self.ttl, principal, role)
        self._entries.move_to_end((token, room_id))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget_user(self, user_id: int) -> None:
        for key in [k for k, v in self._entries.items() if v[1].user_id == user_id]:
            del self._entries[key]

    def forget_room(self, room_id: str) -> None:
        for key in [k for k in self._entries if k[1] == room_id]:
            del self._entries[key]


class Refused(Exception):
    """A handshake the hub refuses, with the HTTP status and message to answer it with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


INTERVIEWER_DOCS = frozenset({"notes"})


async def check_socket(
    cache: AdmissionCache,
    reads: Reads,
    settings: Settings,
    *,
    room_id: str,
    doc: str | None,
    token: str,
    origin: str | None,
) -> tuple[Principal, str]:
    """Who opens a room socket (``doc`` None: the events socket), and their part in the room.

    Raises :class:`Refused`: 403 for a disallowed ``Origin``, a foreign room or a candidate on
    an interviewers' document, 404 for an unknown document, the token's own status (401) when
    it does not hold, 503 when the database cannot be asked. Every transport calls this before
    it completes the handshake.
    """
    # Browsers always send Origin; other clients carry only their token.
    if origin is not None and origin.rstrip("/") not in settings.allowed_origins:
        raise Refused(403, "Origin not allowed")
    if doc is not None and doc not in DOCS:
        raise Refused(404, "No such document")

    async def check() -> Decision:
        return await reads.run(
            lambda conn: access_to_room(conn, settings, token, room_id), on_loop=True
        )

    try:
        principal, role = await cache.admit(token, room_id, check)
    except DomainError as exc:
        raise Refused(exc.status, exc.detail) from None
    except Exception as exc:  # the database is unreachable: a clear 503, not a traceback
        log.error("handshake_check_failed", room=room_id, error=type(exc).__name__)
        raise Refused(503, "Service unavailable; try again") from None
    if role is None:
        raise Refused(403, "Not a member of this room")
    if doc in INTERVIEWER_DOCS and principal.is_candidate:
        raise Refused(403, "Interviewers only")
    return principal, role
