"""Single sign-on with OpenID Connect, and the lead's sign-in settings."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import httpx
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from codepair.api.deps import CurrentLead, DbSession, SettingsDep, client_ip
from codepair.api.errors import errors
from codepair.api.schemas.integrations import SignInOptions, SignInSettingsIn, SignInSettingsOut
from codepair.config import Settings
from codepair.domain.errors import DomainError
from codepair.domain.integrations import sso
from codepair.domain.operations import audit

router = APIRouter(tags=["auth"])
log = structlog.get_logger("codepair.sso")

Param = Annotated[str, Query(max_length=2048)]


def _client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False)


@router.get("/api/auth/options")
async def sign_in_options(db: DbSession, settings: SettingsDep) -> SignInOptions:
    """What the sign-in page shows: the single sign-on button, the password form."""
    on = sso.enabled(settings)
    return SignInOptions(
        oidc_enabled=on,
        oidc_name=settings.oidc_provider_name,
        password_login_enabled=not on or await sso.password_login_enabled(db),
    )


@router.get(
    "/api/auth/oidc/login", response_class=RedirectResponse, status_code=302,
    responses=errors(400, 429),
)
async def oidc_login(request: Request, db: DbSession, settings: SettingsDep) -> RedirectResponse:
    """Start single sign-on: off to the provider, with state, nonce and a PKCE challenge."""
    request.app.state.limits.login_ip.hit(client_ip(request))
    try:
        async with _client(settings) as client:
            url = await sso.start(db, settings, client)
    except DomainError as exc:
        return _back_with_error(exc.detail)
    return RedirectResponse(url, status_code=302)


def _back_with_error(detail: str) -> RedirectResponse:
    return RedirectResponse(f"/login?sso_error={quote(detail)}", status_code=302)


@router.get(
    "/api/auth/oidc/callback", response_class=RedirectResponse, status_code=302,
    responses=errors(400, 429),
)
async def oidc_callback(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    code: Param = "",
    state: Param = "",
    error: Param = "",
    error_description: Param = "",
) -> RedirectResponse:
    """The provider sends the browser back here. Success lands on the sign-in page with a
    refresh token in the URL fragment (never sent to a server, and rotated by the page at
    once); a refusal lands there with the reason."""
    request.app.state.limits.login_ip.hit(client_ip(request))
    ip = client_ip(request)
    if error:
        return _back_with_error(f"The sign-in provider said: {error_description or error}"[:300])
    try:
        async with _client(settings) as client:
            who = await sso.identify(db, settings, client, code, state)
        pair, how = await sso.sign_in(db, settings, who)
    except DomainError as exc:
        log.info("sso_refused", reason=exc.detail)
        await audit.record(
            db,
            "auth.login_failed",
            actor=None,
            ip=ip,
            detail={"method": "oidc", "reason": exc.detail},
        )
        return _back_with_error(exc.detail)
    if how == "created":
        await audit.record(
            db,
            "user.created",
            actor=None,
            ip=ip,
            target=str(pair.user.id),
            detail={"method": "oidc", "email": pair.user.email},
        )
    await audit.record(
        db,
        "auth.login",
        actor=None,
        ip=ip,
        target=str(pair.user.id),
        detail={"method": "oidc", "how": how},
    )
    return RedirectResponse(f"/login#sso={pair.refresh_token}", status_code=302)


@router.get("/api/settings/sign-in")
async def read_sign_in_settings(
    principal: CurrentLead, db: DbSession, settings: SettingsDep
) -> SignInSettingsOut:
    return SignInSettingsOut(
        password_login_enabled=await sso.password_login_enabled(db),
        oidc_enabled=sso.enabled(settings),
        oidc_issuer=settings.oidc_issuer,
        oidc_allowed_domains=list(settings.oidc_allowed_domains),
    )


@router.put("/api/settings/sign-in", responses=errors(400))
async def update_sign_in_settings(
    body: SignInSettingsIn, principal: CurrentLead, db: DbSession, settings: SettingsDep
) -> SignInSettingsOut:
    """Turn password sign-in off (or on). Off holds only while single sign-on is set up."""
    if not body.password_login_enabled and not sso.enabled(settings):
        raise DomainError("Set up single sign-on before turning password sign-in off")
    await sso.set_password_login(db, body.password_login_enabled, principal.user_id)
    await audit.record(
        db,
        "settings.updated",
        actor=principal,
        detail={"password_login_enabled": body.password_login_enabled},
    )
    return await read_sign_in_settings(principal, db, settings)
