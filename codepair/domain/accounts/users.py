"""User accounts: leads manage them; nobody loses rooms when an owner is deactivated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.accounts import Role, User
from codepair.db.models.interviews import Room
from codepair.domain.accounts.auth import normalize_email, revoke_sessions
from codepair.domain.errors import Conflict, NotFound
from codepair.security.passwords import hash_password_async


async def create_user(
    db: AsyncSession, *, email: str, name: str, role: Role, password: str
) -> User:
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        role=role,
        password_hash=await hash_password_async(password),
        is_active=True,
    )
    db.add(user)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise Conflict("A user with this email already exists") from exc
    return user


async def get_user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


# A user's profile, prebuilt (``GET /api/me`` runs on every page load of the web client).
_PROFILE = select(User.id, User.email, User.name, User.role, User.is_active, User.created_at).where(
    User.id == bindparam("user_id")
)


def profile_conn(conn: Connection, user_id: int) -> dict[str, Any]:
    """The fields of ``UserOut`` for ``user_id``, in one prebuilt query (through ``Reads``,
    after the principal check on the same connection: ADR 8)."""
    row = conn.execute(_PROFILE, {"user_id": user_id}).one_or_none()
    if row is None:
        raise NotFound("User not found")
    return dict(row._mapping)


async def list_users(
    db: AsyncSession, *, q: str | None, limit: int, offset: int, active_only: bool
) -> tuple[list[User], int]:
    stmt = select(User)
    if active_only:
        stmt = stmt.where(User.is_active.is_(True))
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    total = await db.scalar(select(func.count()).select_from(stmt.subquery()))
    users = (await db.scalars(stmt.order_by(User.name, User.id).limit(limit).offset(offset))).all()
    return list(users), int(total or 0)


async def set_active(db: AsyncSession, user: User, active: bool) -> bool:
    """Activate or deactivate. Deactivation revokes every session at once.

    Returns True when the user was deactivated now (callers then close their sockets).
    """
    was_active = user.is_active
    user.is_active = active
    if was_active and not active:
        await revoke_sessions(db, user_id=user.id, reason="deactivated")
        return True
    return False


async def delete_user(db: AsyncSession, user: User) -> None:
    """Delete a user who owns no rooms; an owner is deactivated instead, to keep the record."""
    owns = await db.scalar(select(func.count()).where(Room.owner_id == user.id))
    if owns:
        raise Conflict("This user owns rooms; deactivate the account instead")
    await db.delete(user)


async def count_active_leads(db: AsyncSession) -> int:
    return int(
        await db.scalar(
            select(func.count()).where(User.role == Role.lead, User.is_active.is_(True))
        )
        or 0
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
