"""Single sign-on against a real OpenID provider run in the test (node-oidc-provider)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from codepair.config import Settings
from codepair.domain.integrations import sso
from tests.conftest import ServerFactory
from tests.integrations.oidc import (
    CLIENT_ID,
    OpenIdProvider,
    new_jwk,
    oidc_env,
    openid_provider,
    sign_in_via_provider,
    sso_result,
)
from tests.support.api import PASSWORD, Actor, bootstrap_lead, client
from tests.support.server import Server, free_port


@pytest.fixture(scope="module")
def op_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def sso_server(server_factory: ServerFactory, op_port: int) -> Server:
    return server_factory(oidc_env(f"http://127.0.0.1:{op_port}"))


@pytest.fixture(scope="module")
def provider(
    sso_server: Server, op_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenIdProvider]:
    workdir = Path(tmp_path_factory.mktemp("provider"))
    with openid_provider(op_port, f"{sso_server.url}/api/auth/oidc/callback", workdir) as running:
        yield running


@pytest.fixture(scope="module")
def sso_lead(sso_server: Server) -> Actor:
    return bootstrap_lead(sso_server)


def signed_in(server: Server, login: str) -> dict[str, Any]:
    """Sign in by single sign-on; the token pair the page would get."""
    token, error = sso_result(sign_in_via_provider(server.url, login))
    assert error is None and token, error
    with client(server) as c:
        r = c.post("/api/auth/refresh", json={"refresh_token": token})
        assert r.status_code == 200, r.text
        pair: dict[str, Any] = r.json()
    return pair


def refused(server: Server, login: str) -> str:
    token, error = sso_result(sign_in_via_provider(server.url, login))
    assert token is None and error, token
    return error


def me(server: Server, access: str) -> dict[str, Any]:
    with client(server) as c:
        r = c.get("/api/me", headers={"Authorization": f"Bearer {access}"})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
    return body


def test_first_sign_in_creates_an_interviewer_for_an_allowed_domain(
    sso_server: Server, provider: OpenIdProvider
) -> None:
    email = f"new-{secrets.token_hex(3)}@corp.example"
    pair = signed_in(sso_server, email)
    user = me(sso_server, pair["access_token"])
    assert user["email"] == email and user["role"] == "interviewer"
    assert user["name"].startswith("SSO ")
    again = signed_in(sso_server, email)
    assert again["user"]["id"] == user["id"]


def test_an_existing_account_with_the_same_verified_email_is_linked(
    sso_server: Server, provider: OpenIdProvider, sso_lead: Actor
) -> None:
    email = f"known-{secrets.token_hex(3)}@partner.example"  # not an allowed domain
    with client(sso_server) as c:
        r = c.post(
            "/api/users",
            headers=sso_lead.headers,
            json={"email": email, "name": "Kim Known", "role": "lead", "password": PASSWORD},
        )
        assert r.status_code == 201
        known = r.json()
    pair = signed_in(sso_server, email)
    assert pair["user"]["id"] == known["id"]
    assert pair["user"]["role"] == "lead" and pair["user"]["name"] == "Kim Known"


def test_a_foreign_domain_gets_no_account(
    sso_server: Server, provider: OpenIdProvider, sso_lead: Actor
) -> None:
    email = f"eve-{secrets.token_hex(3)}@foreign.example"
    assert "domain" in refused(sso_server, email)
    with client(sso_server) as c:
        users = c.get("/api/users", headers=sso_lead.headers, params={"limit": 100}).json()
    assert email not in [u["email"] for u in users["items"]]


def test_an_unverified_email_is_neither_linked_nor_created(
    sso_server: Server, provider: OpenIdProvider, sso_lead: Actor
) -> None:
    email = f"unverified-{secrets.token_hex(3)}@corp.example"
    assert "verified" in refused(sso_server, email)
    with client(sso_server) as c:
        c.post(
            "/api/users",
            headers=sso_lead.headers,
            json={"email": email, "name": "Una", "role": "interviewer", "password": PASSWORD},
        ).raise_for_status()
    assert "verified" in refused(sso_server, email)


def test_a_deactivated_account_cannot_sign_in(
    sso_server: Server, provider: OpenIdProvider, sso_lead: Actor
) -> None:
    email = f"gone-{secrets.token_hex(3)}@corp.example"
    pair = signed_in(sso_server, email)
    with client(sso_server) as c:
        c.patch(
            f"/api/users/{pair['user']['id']}", headers=sso_lead.headers, json={"is_active": False}
        ).raise_for_status()
    assert "deactivated" in refused(sso_server, email)


def test_a_callback_without_a_live_state_is_refused(
    sso_server: Server, provider: OpenIdProvider
) -> None:
    with httpx.Client(base_url=sso_server.url) as c:
        for params in (
            {"code": "x", "state": "made-up"},
            {"code": "x"},
            {"error": "access_denied"},
        ):
            r = c.get("/api/auth/oidc/callback", params=params)
            assert r.status_code == 302
            assert "sso_error=" in r.headers["location"]
            assert "#sso=" not in r.headers["location"]


def test_login_redirects_with_pkce_state_and_nonce(
    sso_server: Server, provider: OpenIdProvider
) -> None:
    from urllib.parse import parse_qs, urlsplit

    with httpx.Client(base_url=sso_server.url) as c:
        r = c.get("/api/auth/oidc/login")
    assert r.status_code == 302
    url = urlsplit(r.headers["location"])
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    assert q["redirect_uri"] == f"{sso_server.url}/api/auth/oidc/callback"
    assert "openid" in q["scope"].split() and "email" in q["scope"].split()


def test_a_lead_can_turn_password_sign_in_off(
    sso_server: Server, provider: OpenIdProvider, sso_lead: Actor
) -> None:
    interviewer_email = f"pw-{secrets.token_hex(3)}@corp.example"
    with client(sso_server) as c:
        c.post(
            "/api/users",
            headers=sso_lead.headers,
            json={
                "email": interviewer_email,
                "name": "Pat",
                "role": "interviewer",
                "password": PASSWORD,
            },
        ).raise_for_status()
        pat = c.post(
            "/api/auth/login", json={"email": interviewer_email, "password": PASSWORD}
        ).json()
        pat_headers = {"Authorization": f"Bearer {pat['access_token']}"}
        assert c.get("/api/auth/options").json() == {
            "oidc_enabled": True,
            "oidc_name": "Corp SSO",
            "password_login_enabled": True,
        }
        off = {"password_login_enabled": False}
        assert c.put("/api/settings/sign-in", headers=pat_headers, json=off).status_code == 403
        assert c.put("/api/settings/sign-in", json=off).status_code == 401
        r = c.put("/api/settings/sign-in", headers=sso_lead.headers, json=off)
        assert r.status_code == 200 and r.json()["password_login_enabled"] is False
        try:
            assert c.get("/api/auth/options").json()["password_login_enabled"] is False
            r = c.post("/api/auth/login", json={"email": interviewer_email, "password": PASSWORD})
            assert r.status_code == 403
            assert "single sign-on" in r.json()["detail"]
            # Single sign-on still works for the same person.
            assert signed_in(sso_server, interviewer_email)["user"]["email"] == interviewer_email
        finally:
            on = {"password_login_enabled": True}
            c.put("/api/settings/sign-in", headers=sso_lead.headers, json=on).raise_for_status()
        r = c.post("/api/auth/login", json={"email": interviewer_email, "password": PASSWORD})
        assert r.status_code == 200


def test_passwords_cannot_be_turned_off_without_sso(server: Server, lead: Actor) -> None:
    with client(server) as c:
        r = c.put(
            "/api/settings/sign-in", headers=lead.headers, json={"password_login_enabled": False}
        )
        assert r.status_code == 400
        assert c.get("/api/auth/options").json()["oidc_enabled"] is False
        r = c.get("/api/auth/oidc/login")
        assert r.status_code == 302 and "sso_error=" in r.headers["location"]


# -- the ID token checks, against the running provider's discovery document and keys ----------


def _settings(provider: OpenIdProvider) -> Settings:
    return Settings(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID)


def _fetch(provider: OpenIdProvider) -> sso.Provider:
    async def go() -> sso.Provider:
        async with httpx.AsyncClient() as http:
            return await sso.provider(_settings(provider), http, refresh=True)

    return asyncio.run(go())


def _token(jwk: dict[str, Any], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": None,
        "sub": "someone@corp.example",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
        "email": "someone@corp.example",
        "email_verified": True,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}  # None: leave the claim out
    key = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwk["kid"]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "signer", "reason"),
    [
        ({}, "provider", None),
        ({"aud": "another-app"}, "provider", "another application"),
        ({"aud": ["another-app", CLIENT_ID], "azp": "another-app"}, "provider", "another"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "provider", "expired"),
        ({}, "stranger", "signature"),
        ({"nonce": "another-nonce"}, "provider", "nonce"),
        ({"nonce": None}, "provider", "nonce"),
        ({"iss": "http://127.0.0.1:1"}, "provider", "another provider"),
    ],
)
def test_id_token_checks(
    provider: OpenIdProvider, overrides: dict[str, Any], signer: str, reason: str | None
) -> None:
    prov = _fetch(provider)
    jwk = provider.jwk if signer == "provider" else new_jwk(kid=provider.jwk["kid"])
    token = _token(jwk, **{"iss": provider.issuer, **overrides})
    settings = _settings(provider)
    if reason is None:
        got = sso.validate_id_token(token, prov, settings, nonce="the-nonce")
        assert got["sub"] == "someone@corp.example"
        return
    with pytest.raises(sso.SsoError) as refused_:
        sso.validate_id_token(token, prov, settings, nonce="the-nonce")
    assert reason in refused_.value.detail


def test_unsigned_and_shared_secret_tokens_are_refused(provider: OpenIdProvider) -> None:
    prov = _fetch(provider)
    settings = _settings(provider)
    now = int(time.time())
    claims = {
        "iss": provider.issuer,
        "sub": "x",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 60,
        "nonce": "n",
    }
    for token in (
        jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        jwt.encode(claims, CLIENT_ID * 4, algorithm="HS256"),
    ):
        with pytest.raises(sso.SsoError):
            sso.validate_id_token(token, prov, settings, nonce="n")
