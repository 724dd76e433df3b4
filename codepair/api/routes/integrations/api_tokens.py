"""The signed-in user's personal API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from codepair.api.deps import CurrentUser, DbSession, SettingsDep, client_ip
from codepair.api.errors import errors
from codepair.api.schemas.integrations import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenList,
    ApiTokenOut,
)
from codepair.db.models.integrations import ApiToken
from codepair.domain.integrations import api_tokens
from codepair.domain.operations import audit

router = APIRouter(prefix="/api/me/tokens", tags=["api tokens"])


def _out(row: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=row.id,
        name=row.name,
        hint=row.hint,
        scopes=row.scopes.split(),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.post("", status_code=201, responses=errors(409))
async def create_token(
    body: ApiTokenCreate,
    principal: CurrentUser,
    db: DbSession,
    settings: SettingsDep,
    request: Request,
) -> ApiTokenCreated:
    assert principal.user_id is not None
    row, plain = await api_tokens.create_token(
        db,
        principal.user_id,
        name=body.name,
        scopes=list(body.scopes),
        limit=settings.api_tokens_per_user,
    )
    await audit.record(
        db,
        "token.created",
        actor=principal,
        ip=client_ip(request),
        target=row.id,
        detail={"name": row.name, "scopes": row.scopes.split()},
    )
    return ApiTokenCreated(**_out(row).model_dump(), token=plain)


@router.get("")
async def list_tokens(principal: CurrentUser, db: DbSession) -> ApiTokenList:
    assert principal.user_id is not None
    rows = await api_tokens.list_tokens(db, principal.user_id)
    return ApiTokenList(items=[_out(r) for r in rows])


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: str, principal: CurrentUser, db: DbSession) -> Response:
    assert principal.user_id is not None
    await api_tokens.revoke_token(db, principal.user_id, token_id)
    return Response(status_code=204)
