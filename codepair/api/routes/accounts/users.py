"""User administration: leads only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from codepair.api.bounds import IdPath, Offset
from codepair.api.deps import CurrentLead, CurrentUser, DbSession, client_ip
from codepair.api.errors import errors
from codepair.api.notify import after_commit_user_revoked
from codepair.api.schemas.accounts import UserCreate, UserList, UserOut, UserUpdate
from codepair.api.schemas.common import PersonOut
from codepair.db.models.accounts import Role
from codepair.domain.accounts import users
from codepair.domain.errors import Conflict
from codepair.domain.operations import audit

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("")
async def list_users(
    _lead: CurrentLead,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> UserList:
    items, total = await users.list_users(db, q=q, limit=limit, offset=offset, active_only=False)
    return UserList(items=[UserOut.model_validate(u) for u in items], total=total)


@router.post("", status_code=201, responses=errors(409))
async def create_user(
    body: UserCreate, lead: CurrentLead, db: DbSession, request: Request
) -> UserOut:
    user = await users.create_user(
        db, email=body.email, name=body.name, role=Role(body.role), password=body.password
    )
    await audit.record(
        db,
        "user.created",
        actor=lead,
        ip=client_ip(request),
        target=f"user:{user.id}",
        detail={"email": user.email, "name": user.name, "role": user.role.value},
    )
    return UserOut.model_validate(user)


@router.get("/{user_id}")
async def read_user(user_id: IdPath, _lead: CurrentLead, db: DbSession) -> UserOut:
    return UserOut.model_validate(await users.get_user(db, user_id))


@router.patch("/{user_id}", responses=errors(409))
async def update_user(
    user_id: IdPath, body: UserUpdate, lead: CurrentLead, db: DbSession, request: Request
) -> UserOut:
    user = await users.get_user(db, user_id)
    demotes_lead = user.role == Role.lead and (
        body.is_active is False or (body.role is not None and body.role != "lead")
    )
    if demotes_lead and user.is_active and await users.count_active_leads(db) <= 1:
        raise Conflict("The last active lead cannot be demoted or deactivated")
    before = {"name": user.name, "role": user.role.value, "is_active": user.is_active}
    if body.name is not None:
        user.name = body.name
    if body.role is not None:
        user.role = Role(body.role)
    if body.is_active is not None and await users.set_active(db, user, body.is_active):
        after_commit_user_revoked(request, user.id)
    await db.flush()
    after = {"name": user.name, "role": user.role.value, "is_active": user.is_active}
    changes = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if changes:
        await audit.record(
            db,
            "user.updated",
            actor=lead,
            ip=client_ip(request),
            target=f"user:{user.id}",
            detail={"email": user.email, "changes": changes},
        )
    return UserOut.model_validate(user)


@router.delete("/{user_id}", status_code=204, responses=errors(409))
async def delete_user(
    user_id: IdPath, lead: CurrentLead, db: DbSession, request: Request
) -> Response:
    if user_id == lead.user_id:
        raise Conflict("You cannot delete your own account")
    user = await users.get_user(db, user_id)
    if user.role == Role.lead and user.is_active and await users.count_active_leads(db) <= 1:
        raise Conflict("The last active lead cannot be deleted")
    await audit.record(
        db,
        "user.deleted",
        actor=lead,
        ip=client_ip(request),
        target=f"user:{user.id}",
        detail={"email": user.email, "name": user.name, "role": user.role.value},
    )
    await users.delete_user(db, user)
    after_commit_user_revoked(request, user_id)
    return Response(status_code=204)


directory = APIRouter(prefix="/api/directory", tags=["users"])


@directory.get("")
async def list_colleagues(
    _user: CurrentUser,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[PersonOut]:
    """Active colleagues, for picking co-interviewers; less than the lead's user list shows."""
    items, _total = await users.list_users(db, q=q, limit=limit, offset=0, active_only=True)
    return [PersonOut(id=u.id, name=u.name, email=u.email) for u in items]
