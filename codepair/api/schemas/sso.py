"""Single sign-on and the sign-in settings."""

from __future__ import annotations

from pydantic import BaseModel

from codepair.api.schemas import Strict


class SignInOptions(BaseModel):
    """What the sign-in page offers (public)."""

    oidc_enabled: bool
    oidc_name: str
    password_login_enabled: bool


class SignInSettingsOut(BaseModel):
    password_login_enabled: bool
    oidc_enabled: bool
    oidc_issuer: str
    oidc_allowed_domains: list[str]


class SignInSettingsIn(Strict):
    password_login_enabled: bool
