"""Sign-in, the signed-in user, and the users leads manage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from codepair.api.schemas.common import AnyPassword, Email, Name, Password, RoleName, Strict, Token


class LoginIn(Strict):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: AnyPassword


class RefreshIn(Strict):
    refresh_token: Token


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: RoleName
    is_active: bool
    created_at: datetime


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserOut


class MeUpdate(Strict):
    name: Name | None = None


class PasswordChange(Strict):
    current_password: AnyPassword
    new_password: Password


class UserCreate(Strict):
    email: Email
    name: Name
    role: RoleName
    password: Password


class UserUpdate(Strict):
    name: Name | None = None
    role: RoleName | None = None
    is_active: bool | None = None


class UserList(BaseModel):
    items: list[UserOut]
    total: int
