"""Single sign-on with OpenID Connect: authorization code flow with PKCE.

:func:`start` records a one-time ``state`` with its ``nonce`` and PKCE verifier and answers
the provider's authorization URL; :func:`finish` takes the code back, redeems it at the
token endpoint (with the client secret and the verifier), checks the ID token (signature
against the provider's JWKS, ``iss``, ``aud``/``azp``, ``exp``/``iat``, ``nonce``), and signs
the user in: a known identity (issuer + subject), else an existing account with the same
*verified* email (linked from then on), else a new interviewer when the email's domain is in
``CODEPAIR_OIDC_ALLOWED_DOMAINS``. Anything else is refused with a reason the sign-in page
shows.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.accounts import AuthSession, Role, User
from codepair.db.models.integrations import OidcLogin, UserIdentity
from codepair.db.models.operations import OrgSetting
from codepair.domain.accounts.auth import TokenPair, _issue, normalize_email
from codepair.domain.errors import DomainError, Forbidden, Unauthorized
from codepair.security.passwords import hash_password_async

PASSWORD_LOGIN_KEY = "password_login_enabled"
LOGIN_TTL = timedelta(minutes=10)
METADATA_TTL = 600.0  # seconds a provider's discovery document and keys are kept
LEEWAY = 60  # seconds of clock skew allowed on exp/iat
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


class SsoError(DomainError):
    """The provider or its token failed a check; ``detail`` says which (shown to the user)."""

    status = 401


@dataclass
class Provider:
    """A provider's discovery document and signing keys, fetched once per ``METADATA_TTL``."""

    metadata: dict[str, Any]
    keys: jwt.PyJWKSet
    fetched: float = field(default_factory=time.monotonic)


_providers: dict[str, Provider] = {}


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def redirect_uri(settings: Settings) -> str:
    return f"{settings.public_url}/api/auth/oidc/callback"


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        r = await client.get(url, headers={"accept": "application/json"})
        r.raise_for_status()
        body = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoError("The sign-in provider could not be reached") from exc
    if not isinstance(body, dict):
        raise SsoError("The sign-in provider answered something unexpected")
    return body


async def provider(
    settings: Settings, client: httpx.AsyncClient, *, refresh: bool = False
) -> Provider:
    """The configured provider's metadata (discovery) and JWKS, cached."""
    issuer = settings.oidc_issuer.rstrip("/")
    cached = _providers.get(issuer)
    if cached and not refresh and time.monotonic() - cached.fetched < METADATA_TTL:
        return cached
    meta = await _get_json(client, f"{issuer}/.well-known/openid-configuration")
    # OpenID Connect Discovery 1.0 section 4.3: the issuer must be the one asked for.
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise SsoError("The sign-in provider's discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise SsoError(f"The sign-in provider's discovery document has no {key}")
    try:
        keys = jwt.PyJWKSet.from_dict(await _get_json(client, meta["jwks_uri"]))
    except jwt.PyJWTError as exc:
        raise SsoError("The sign-in provider's keys could not be read") from exc
    found = _providers[issuer] = Provider(metadata=meta, keys=keys)
    return found


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def start(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> str:
    """A new sign-in attempt: the URL to send the browser to."""
    if not enabled(settings):
        raise DomainError("Single sign-on is not configured")
    meta = (await provider(settings, client)).metadata
    now = datetime.now(UTC)
    await db.execute(delete(OidcLogin).where(OidcLogin.created_at < now - LOGIN_TTL))
    login = OidcLogin(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        created_at=now,
    )
    db.add(login)
    await db.flush()
    challenge = _b64(hashlib.sha256(login.code_verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": redirect_uri(settings),
            "scope": "openid email profile",
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    endpoint = str(meta["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def validate_id_token(
    token: str, prov: Provider, settings: Settings, *, nonce: str
) -> dict[str, Any]:
    """The ID token's claims after every check OpenID Connect Core 3.1.3.7 asks for."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SsoError("The ID token is malformed") from exc
    alg = header.get("alg")
    if alg not in ALGORITHMS:  # never "none", never a shared-secret HMAC
        raise SsoError("The ID token is not signed with an accepted algorithm")
    kid = header.get("kid")
    candidates = [k for k in prov.keys.keys if kid is None or k.key_id == kid]
    if not candidates:
        raise SsoError("The ID token is signed with an unknown key")
    issuer = str(prov.metadata["issuer"])
    last: Exception | None = None
    for key in candidates:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=settings.oidc_client_id,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
            break
        except jwt.InvalidSignatureError as exc:
            last = exc
        except jwt.ExpiredSignatureError as exc:
            raise SsoError("The ID token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise SsoError("The ID token was issued for another application") from exc
        except jwt.InvalidIssuerError as exc:
            raise SsoError("The ID token was issued by another provider") from exc
        except jwt.PyJWTError as exc:
            raise SsoError(f"The ID token is not valid ({type(exc).__name__})") from exc
    else:
        raise SsoError("The ID token's signature is not valid") from last
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != settings.oidc_client_id:
        raise SsoError("The ID token was issued for another application")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise SsoError("The ID token does not belong to this sign-in (nonce)")
    return claims


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str


async def _redeem(
    settings: Settings, client: httpx.AsyncClient, prov: Provider, code: str, verifier: str
) -> dict[str, Any]:
    try:
        r = await client.post(
            str(prov.metadata["token_endpoint"]),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(settings),
                "code_verifier": verifier,
            },
            auth=(settings.oidc_client_id, settings.oidc_client_secret.get_secret_value()),
            headers={"accept": "application/json"},
        )
        body = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoError("The sign-in provider could not be reached") from exc
    if r.status_code != 200 or not isinstance(body, dict) or "id_token" not in body:
        raise SsoError("The sign-in provider refused the sign-in code")
    return body


async def _userinfo(
    client: httpx.AsyncClient, prov: Provider, access_token: str, subject: str
) -> dict[str, Any]:
    """Claims the ID token left out (providers that put email only in userinfo)."""
    endpoint = prov.metadata.get("userinfo_endpoint")
    if not isinstance(endpoint, str) or not access_token:
        return {}
    try:
        r = await client.get(endpoint, headers={"authorization": f"Bearer {access_token}"})
        info = r.json() if r.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}
    # Core 5.3.2: userinfo's sub must be the ID token's, or it is not this user.
    return info if isinstance(info, dict) and info.get("sub") == subject else {}


async def identify(
    db: AsyncSession, settings: Settings, client: httpx.AsyncClient, code: str, state: str
) -> Identity:
    """The provider's answer, checked: who signed in."""
    login = await db.get(OidcLogin, state) if state else None
    if login is None:
        raise SsoError("This sign-in link has expired or was already used; try again")
    await db.delete(login)  # one use, whatever happens next
    await db.flush()
    if login.created_at < datetime.now(UTC) - LOGIN_TTL:
        raise SsoError("This sign-in took too long; try again")
    prov = await provider(settings, client)
    tokens = await _redeem(settings, client, prov, code, login.code_verifier)
    try:
        claims = validate_id_token(tokens["id_token"], prov, settings, nonce=login.nonce)
    except SsoError as exc:
        if "unknown key" not in exc.detail:
            raise
        # The provider may have rotated its keys since they were fetched.
        prov = await provider(settings, client, refresh=True)
        claims = validate_id_token(tokens["id_token"], prov, settings, nonce=login.nonce)
    info = claims
    if not claims.get("email"):
        access = str(tokens.get("access_token", ""))
        info = {**await _userinfo(client, prov, access, claims["sub"]), **claims}
    email = normalize_email(str(info.get("email") or ""))
    if not email or "@" not in email or len(email) > 254:
        raise SsoError("The sign-in provider did not share an email address")
    name = str(info.get("name") or info.get("preferred_username") or email.split("@")[0])
    return Identity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=email,
        email_verified=info.get("email_verified") is True,
        name=name.strip()[:100] or email,
    )


def _domain_allowed(settings: Settings, email: str) -> bool:
    domain = email.rsplit("@", 1)[1]
    return domain in {d.strip().lower().lstrip("@") for d in settings.oidc_allowed_domains}


async def sign_in(db: AsyncSession, settings: Settings, who: Identity) -> tuple[TokenPair, str]:
    """A session for the identity; the second value says how (``identity``, ``linked``,
    ``created``) for the audit log."""
    link = await db.scalar(
        select(UserIdentity).where(
            UserIdentity.issuer == who.issuer, UserIdentity.subject == who.subject
        )
    )
    how = "identity"
    user: User | None
    if link is not None:
        user = await db.get(User, link.user_id)
    else:
        user = await db.scalar(select(User).where(User.email == who.email))
        if user is not None:
            if not who.email_verified:
                raise Forbidden(
                    "Your provider has not verified this email address, so it cannot be "
                    "linked to the CodePair account that uses it"
                )
            how = "linked"
        elif not _domain_allowed(settings, who.email):
            raise Forbidden(
                "Accounts for this email domain are not created by single sign-on; "
                "ask a lead to invite you"
            )
        elif not who.email_verified:
            raise Forbidden("Your provider has not verified this email address")
        else:
            user = User(
                email=who.email,
                name=who.name,
                role=Role.interviewer,
                # Nobody knows this password: the account signs in by single sign-on.
                password_hash=await hash_password_async(secrets.token_urlsafe(32)),
            )
            db.add(user)
            await db.flush()
            how = "created"
        link = UserIdentity(
            user_id=user.id, issuer=who.issuer, subject=who.subject, email=who.email
        )
        db.add(link)
    if user is None or not user.is_active:
        raise Unauthorized("This account is deactivated")
    link.last_login_at = datetime.now(UTC)
    now = datetime.now(UTC)
    session = AuthSession(
        id=secrets.token_hex(16),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    db.add(session)
    return await _issue(db, settings, user, session), how


# -- the password sign-in switch -----------------------------------------------------------


async def password_login_enabled(db: AsyncSession) -> bool:
    value = await db.scalar(select(OrgSetting.value).where(OrgSetting.key == PASSWORD_LOGIN_KEY))
    return value is not False


async def set_password_login(db: AsyncSession, enabled_: bool, by: int | None) -> None:
    row = await db.get(OrgSetting, PASSWORD_LOGIN_KEY)
    if row is None:
        db.add(OrgSetting(key=PASSWORD_LOGIN_KEY, value=enabled_, updated_by=by))
    else:
        row.value = enabled_
        row.updated_by = by
    await db.flush()


async def check_password_login(db: AsyncSession, settings: Settings) -> None:
    """Refuse password sign-in when a lead turned it off. The switch only holds while
    single sign-on is configured: removing the OIDC settings is the operator's way back in."""
    if enabled(settings) and not await password_login_enabled(db):
        raise Forbidden("Password sign-in is turned off; sign in with single sign-on")
