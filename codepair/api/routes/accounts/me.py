"""The signed-in user's own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from codepair.api.deps import CurrentUser, DbSession, client_ip
from codepair.api.errors import errors
from codepair.api.notify import after_commit_user_revoked
from codepair.api.principal_reads import UserReads
from codepair.api.schemas.accounts import MeUpdate, PasswordChange, UserOut
from codepair.domain.accounts import auth, users
from codepair.domain.operations import audit

router = APIRouter(prefix="/api/me", tags=["me"])


@router.get("")
async def read_me(reads: UserReads) -> UserOut:
    """The principal check and the profile in one read, no session (ADR 8)."""
    profile = await reads.run(
        lambda conn, principal: users.profile_conn(conn, principal.user_id or 0)
    )
    return UserOut.model_validate(profile)


@router.patch("")
async def update_me(body: MeUpdate, principal: CurrentUser, db: DbSession) -> UserOut:
    assert principal.user_id is not None
    user = await users.get_user(db, principal.user_id)
    if body.name is not None:
        user.name = body.name
    await db.flush()
    return UserOut.model_validate(user)


@router.post("/password", status_code=204, responses=errors(400))
async def change_password(
    body: PasswordChange, principal: CurrentUser, db: DbSession, request: Request
) -> Response:
    assert principal.user_id is not None
    user = await users.get_user(db, principal.user_id)
    await auth.change_password(
        db, user, body.current_password, body.new_password, keep_session=principal.session_id
    )
    await audit.record(
        db,
        "user.password_changed",
        actor=principal,
        ip=client_ip(request),
        target=f"user:{user.id}",
    )
    # Sockets of the other sign-ins close with them.
    after_commit_user_revoked(request, user.id, keep_session=principal.session_id)
    return Response(status_code=204)
