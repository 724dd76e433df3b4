"""Sign-in sessions: login, refresh-token rotation with reuse detection, logout, passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.accounts import AuthSession, RefreshToken, User
from codepair.domain.errors import DomainError, Unauthorized
from codepair.security.passwords import hash_password_async, verify_password_async
from codepair.security.tokens import (
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)

# One message for an unknown email, a wrong password and a deactivated user, so that
# the answer tells an attacker nothing about which accounts exist.
BAD_CREDENTIALS = "Incorrect email or password"
BAD_REFRESH = "Invalid or expired refresh token"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: User


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def login(db: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await db.scalar(select(User).where(User.email == normalize_email(email)))
    ok = await verify_password_async(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    now = datetime.now(UTC)
    session = AuthSession(
        id=secrets.token_hex(16),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    db.add(session)
    return await _issue(db, settings, user, session)


async def _issue(
    db: AsyncSession, settings: Settings, user: User, session: AuthSession
) -> TokenPair:
    refresh = new_refresh_token()
    db.add(RefreshToken(session_id=session.id, token_hash=hash_refresh_token(refresh)))
    await db.flush()
    access = issue_access_token(
        settings.signing_key(),
        user_id=user.id,
        session_id=session.id,
        role=user.role.value,
        name=user.name,
        ttl=timedelta(minutes=settings.access_token_minutes),
    )
    return TokenPair(access_token=access, refresh_token=refresh, user=user)


async def refresh(db: AsyncSession, settings: Settings, token: str) -> TokenPair:
    """Rotate: the presented token dies and a new pair is issued in the same session.

    Presenting a token that was already rotated means it was copied: the whole session
    (every token descended from that login) is revoked.
    """
    row = (
        await db.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.token_hash == hash_refresh_token(token))
            .with_for_update(of=RefreshToken)
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized(BAD_REFRESH)
    stored, session, user = row.tuple()
    now = datetime.now(UTC)
    if session.revoked_at is not None or session.expires_at <= now or not user.is_active:
        raise Unauthorized(BAD_REFRESH)
    # Compare-and-set so that two concurrent refreshes with one token cannot both win.
    result = await db.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.revoked_at = now
        session.revoke_reason = "refresh_reuse"
        await db.flush()
        raise Unauthorized(BAD_REFRESH, keep_changes=True)
    return await _issue(db, settings, user, session)


async def logout(db: AsyncSession, token: str) -> tuple[int, str] | None:
    """Revoke the session the refresh token belongs to; its ``(user_id, session_id)``, or
    None for an unknown token (ignored)."""
    row = (
        await db.execute(
            select(AuthSession.user_id, AuthSession.id)
            .join(RefreshToken, RefreshToken.session_id == AuthSession.id)
            .where(RefreshToken.token_hash == hash_refresh_token(token))
        )
    ).one_or_none()
    if row is None:
        return None
    await revoke_sessions(db, session_ids=[row.id], reason="logout")
    return row.user_id, row.id


async def revoke_sessions(
    db: AsyncSession,
    *,
    user_id: int | None = None,
    session_ids: list[str] | None = None,
    keep: str | None = None,
    reason: str,
) -> None:
    """Revoke sign-in sessions of a user (all but ``keep``) or by id."""
    stmt = update(AuthSession).where(AuthSession.revoked_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(AuthSession.user_id == user_id)
    if session_ids is not None:
        stmt = stmt.where(AuthSession.id.in_(session_ids))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    await db.execute(stmt.values(revoked_at=datetime.now(UTC), revoke_reason=reason))


async def change_password(
    db: AsyncSession, user: User, current: str, new: str, *, keep_session: str | None
) -> None:
    """Set a new password and end every other sign-in session of the user."""
    if not await verify_password_async(user.password_hash, current):
        raise DomainError("Current password is incorrect")
    user.password_hash = await hash_password_async(new)
    await revoke_sessions(db, user_id=user.id, keep=keep_session, reason="password_change")
