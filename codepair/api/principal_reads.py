"""The principal check and a handler's reads in one go, for the hot read endpoints (ADR 8).

``CurrentPrincipal`` asks the database who is calling, and the handler then asks for what it
shows: two connections, and on PostgreSQL two pool checkouts, pings and transactions.
A handler that only reads takes ``PrincipalReads`` (or ``UserReads``) instead and calls
``await reads.run(fn)``: the token is decoded before the handler runs (so a missing, forged
or expired token is a 401, and for ``UserReads`` a candidate's token a 403, as before), and
the database half of the check runs in the same read as ``fn(conn, principal)``.

Tokens that are not the server's own JWTs (API tokens, INTERFACES.md item 9) go through
:func:`codepair.api.deps.get_principal`, whatever it accepts, before the read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection

from codepair.api.deps import bearer_token, get_principal
from codepair.config import Settings
from codepair.db.reads import Reads
from codepair.domain.errors import Forbidden, Unauthorized
from codepair.domain.interviews import access
from codepair.security.tokens import Principal

T = TypeVar("T")


class ReadAs:
    """A request's principal, checked inside the handler's read (see the module)."""

    def __init__(
        self, request: Request, settings: Settings, claims: Principal, checked: bool
    ) -> None:
        self._request = request
        self.settings = settings
        self._claims = claims
        self._checked = checked

    async def run(self, fn: Callable[[Connection, Principal], T]) -> T:
        """``fn(conn, principal)`` through ``Reads`` (without a snapshot: ``fn`` is one
        query, or one and a rare second), after the principal check on the same connection."""
        reads: Reads = self._request.app.state.reads
        claims = self._claims
        if self._checked:
            return await reads.run(lambda conn: fn(conn, claims), snapshot=False)

        def both(conn: Connection) -> T:
            principal = access.current_conn(conn, claims)
            self._request.state.principal = principal
            return fn(conn, principal)

        return await reads.run(both, snapshot=False)


    async def run_checking(
        self,
        checking: Callable[[Connection, Principal], tuple[Principal, T]],
        fn: Callable[[Connection, Principal], T],
    ) -> T:
        """For a read whose statement carries the principal check itself (the room list):
        ``checking(conn, claims)`` answers the principal as the database has it and the
        result, when a user's token is still to check; otherwise :meth:`run` with ``fn``."""
        if self._checked or self._claims.kind != "access":
            return await self.run(fn)
        reads: Reads = self._request.app.state.reads
        claims = self._claims
        principal, result = await reads.run(lambda conn: checking(conn, claims), snapshot=False)
        self._request.state.principal = principal
        return result


async def _read_as(request: Request, settings: Settings, *, users_only: bool) -> ReadAs:
    token = bearer_token(request)
    try:
        claims, checked = access.decode(settings, token), False
    except Unauthorized:  # not one of our JWTs: whatever else get_principal accepts
        claims, checked = await get_principal(request, settings), True
    if users_only and claims.is_candidate:
        # As CurrentUser answers: 401 for a dead candidate token, else 403 (rare: the
        # client never sends a candidate's token here).
        if not checked:
            await get_principal(request, settings)
        raise Forbidden("Candidates cannot do this")
    return ReadAs(request, settings, claims, checked)


# The settings from the app, not through SettingsDep: FastAPI solves every dependency's own
# dependencies again on each request, cached or not, and that machinery was a sixth of a
# room list's CPU (ADR 8). The handler finds them as ``reads.settings``.


async def get_principal_reads(request: Request) -> ReadAs:
    return await _read_as(request, request.app.state.settings, users_only=False)


async def get_user_reads(request: Request) -> ReadAs:
    return await _read_as(request, request.app.state.settings, users_only=True)


PrincipalReads = Annotated[ReadAs, Depends(get_principal_reads)]
UserReads = Annotated[ReadAs, Depends(get_user_reads)]
