"""Sign-in, token refresh and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from codepair.api.deps import DbSession, SettingsDep, client_ip
from codepair.api.errors import errors
from codepair.api.notify import after_commit_user_revoked
from codepair.api.schemas.accounts import LoginIn, RefreshIn, TokenPairOut, UserOut
from codepair.domain.accounts import auth
from codepair.domain.accounts.auth import TokenPair
from codepair.domain.errors import Unauthorized
from codepair.domain.integrations import sso
from codepair.domain.operations import audit
from codepair.security.tokens import Principal

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _out(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        user=UserOut.model_validate(pair.user),
    )


@router.post("/login", responses=errors(401, 403, 429))
async def login(
    body: LoginIn, request: Request, db: DbSession, settings: SettingsDep
) -> TokenPairOut:
    limits = request.app.state.limits
    limits.login_ip.hit(client_ip(request))
    limits.login_account.hit(auth.normalize_email(body.email))
    ip = client_ip(request)
    await sso.check_password_login(db, settings)  # a lead may have turned passwords off
    try:
        pair = await auth.login(db, settings, body.email, body.password)
    except Unauthorized as exc:
        # The refusal is kept: the failed attempt's audit row commits, nothing else changed.
        await audit.record(
            db, "auth.login_failed", actor=None, ip=ip, target=auth.normalize_email(body.email)
        )
        raise Unauthorized(exc.detail, keep_changes=True) from None
    user = pair.user
    actor = Principal(kind="access", role=user.role.value, name=user.name, user_id=user.id)
    await audit.record(db, "auth.login", actor=actor, ip=ip, target=user.email)
    return _out(pair)


@router.post("/refresh", responses=errors(401, 429))
async def refresh(
    body: RefreshIn, request: Request, db: DbSession, settings: SettingsDep
) -> TokenPairOut:
    request.app.state.limits.refresh_ip.hit(client_ip(request))
    return _out(await auth.refresh(db, settings, body.refresh_token))


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, db: DbSession, request: Request) -> Response:
    ended = await auth.logout(db, body.refresh_token)
    if ended is not None:  # that sign-in's open sockets close too
        user_id, session_id = ended
        after_commit_user_revoked(request, user_id, session_id=session_id)
    return Response(status_code=204)
