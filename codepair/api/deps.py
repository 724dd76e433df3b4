"""FastAPI dependencies: the database session, the settings and the current principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.api.notify import run_after_commit
from codepair.config import Settings
from codepair.db.reads import Reads
from codepair.domain.errors import DomainError, Forbidden, Unauthorized
from codepair.domain.integrations import api_tokens
from codepair.domain.interviews.access import authenticate_conn
from codepair.security.tokens import Principal


async def get_settings_dep(request: Request) -> Settings:
    # async: FastAPI runs a plain def dependency in a worker thread, on every request.
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the handler returns without error.

    Scoped to the handler (not the whole request) so that the commit happens before the
    response leaves: a client that acts on a 201 at once must find what it created. Work
    registered with :func:`codepair.api.notify.after_commit` runs once the commit is done.
    """
    async with request.app.state.db() as session:
        try:
            yield session
        except DomainError as exc:
            # Some refusals must still be recorded (a revoked session after token reuse).
            await (session.commit() if exc.keep_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
    await run_after_commit(request)


DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Not authenticated")
    return token.strip()


async def get_principal(request: Request, settings: SettingsDep) -> Principal:
    """Anyone with a valid token: a user or a candidate.

    One prebuilt query through ``Reads`` (ADR 8): on SQLite it runs on the loop on a plain
    sqlite3 connection instead of aiosqlite's thread hops, and a handler that reads only
    opens no session at all.
    """
    token = bearer_token(request)
    if api_tokens.looks_like_api_token(token):  # INTERFACES.md item 9
        return await _api_token_principal(request, token)
    reads: Reads = request.app.state.reads
    principal = await reads.run(partial(authenticate_conn, settings=settings, token=token))
    request.state.principal = principal
    return principal


async def _api_token_principal(request: Request, token: str) -> Principal:
    """A personal API token: its user, within its scopes, on the rooms API only. Read like
    the JWT check (one prebuilt query through ``Reads``); a session only to record its use."""
    reads: Reads = request.app.state.reads
    check = partial(
        api_tokens.check_api_token, token=token, method=request.method, path=request.url.path
    )
    principal, stale = await reads.run(check, snapshot=False)  # one prebuilt SELECT
    if stale is not None:  # at most once a minute per token
        async with request.app.state.db() as db:
            await api_tokens.touch(db, stale)
            await db.commit()
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_user_principal(principal: CurrentPrincipal) -> Principal:
    """A signed-in user (lead or interviewer); candidates are refused."""
    if principal.is_candidate:
        raise Forbidden("Candidates cannot do this")
    return principal


CurrentUser = Annotated[Principal, Depends(get_user_principal)]


async def get_lead(principal: CurrentUser) -> Principal:
    if not principal.is_lead:
        raise Forbidden("Only leads can do this")
    return principal


CurrentLead = Annotated[Principal, Depends(get_lead)]

__all__ = [
    "CurrentLead",
    "CurrentPrincipal",
    "CurrentUser",
    "DbSession",
    "SettingsDep",
]


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (earlier entries are the
    client's to forge)."""
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_proxies
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer
