"""Sign-in sessions: rotation, reuse detection, logout, deactivation, password change,
rate limits and forged tokens."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.support.api import PASSWORD, Actor, bootstrap_lead, client, create_user, login
from tests.support.server import Server


def test_login_errors_are_identical(server: Server, lead: Actor) -> None:
    gone = create_user(server, lead)
    with client(server) as c:
        c.patch(f"/api/users/{gone.user_id}", headers=lead.headers, json={"is_active": False})
        answers = [
            c.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}),
            c.post("/api/auth/login", json={"email": lead.email, "password": "wrong-password"}),
            c.post("/api/auth/login", json={"email": gone.email, "password": PASSWORD}),
        ]
    assert {(r.status_code, r.text) for r in answers} == {
        (401, '{"detail":"Incorrect email or password"}')
    }


def test_email_is_case_insensitive(server: Server, lead: Actor) -> None:
    assert login(server, (lead.email or "").upper()).user_id == lead.user_id


def test_refresh_rotates_and_reuse_revokes_the_family(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    with client(server) as c:
        first = c.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
        assert first.status_code == 200
        pair = first.json()
        assert pair["refresh_token"] != user.refresh_token
        assert (
            c.get(
                "/api/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
            ).status_code
            == 200
        )
        # The old token is dead; presenting it again is taken as theft ...
        reuse = c.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
        assert reuse.status_code == 401
        # ... and kills the whole family: the newer refresh token and its access token.
        assert (
            c.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code
            == 401
        )
        assert (
            c.get(
                "/api/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
            ).status_code
            == 401
        )
        # Other sign-ins of the same user are untouched.
        other = login(server, user.email or "")
        assert c.get("/api/me", headers=other.headers).status_code == 200


def test_logout_ends_the_session(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    with client(server) as c:
        assert (
            c.post("/api/auth/logout", json={"refresh_token": user.refresh_token}).status_code
            == 204
        )
        assert c.get("/api/me", headers=user.headers).status_code == 401
        assert (
            c.post("/api/auth/refresh", json={"refresh_token": user.refresh_token}).status_code
            == 401
        )


def test_deactivation_kills_tokens_at_once(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    with client(server) as c:
        assert c.get("/api/me", headers=user.headers).status_code == 200
        c.patch(
            f"/api/users/{user.user_id}", headers=lead.headers, json={"is_active": False}
        ).raise_for_status()
        assert c.get("/api/me", headers=user.headers).status_code == 401
        assert (
            c.post("/api/auth/refresh", json={"refresh_token": user.refresh_token}).status_code
            == 401
        )
        # Reactivation does not revive old sessions; signing in again works.
        c.patch(
            f"/api/users/{user.user_id}", headers=lead.headers, json={"is_active": True}
        ).raise_for_status()
        assert c.get("/api/me", headers=user.headers).status_code == 401
    assert login(server, user.email or "").user_id == user.user_id


def test_password_change_ends_other_sessions(server: Server, lead: Actor) -> None:
    user = create_user(server, lead)
    laptop = login(server, user.email or "")
    with client(server) as c:
        wrong = c.post(
            "/api/me/password",
            headers=user.headers,
            json={"current_password": "not-it-at-all", "new_password": "a-new-secret"},
        )
        assert wrong.status_code == 400
        short = c.post(
            "/api/me/password",
            headers=user.headers,
            json={"current_password": PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 422
        ok = c.post(
            "/api/me/password",
            headers=user.headers,
            json={"current_password": PASSWORD, "new_password": "a-new-secret"},
        )
        assert ok.status_code == 204
        assert c.get("/api/me", headers=user.headers).status_code == 200  # this session stays
        assert c.get("/api/me", headers=laptop.headers).status_code == 401
        assert (
            c.post("/api/auth/refresh", json={"refresh_token": laptop.refresh_token}).status_code
            == 401
        )
        assert (
            c.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code
            == 401
        )
    assert login(server, user.email or "", "a-new-secret").user_id == user.user_id


def _forge(claims: dict[str, object], key: str = "", alg: str = "HS256") -> str:
    if alg == "none":

        def b64(obj: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    return jwt.encode(claims, key, algorithm=alg)


@pytest.mark.parametrize("kind", ["none", "other-key", "expired", "garbage", "huge", "empty"])
def test_forged_and_malformed_tokens(server: Server, lead: Actor, kind: str) -> None:
    now = datetime.now(UTC)
    real = jwt.decode(lead.token, options={"verify_signature": False})
    claims = {**real, "iat": now, "exp": now + timedelta(minutes=5)}
    token = {
        "none": lambda: _forge(
            {**claims, "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 300}, alg="none"
        ),
        "other-key": lambda: _forge(claims, key="x" * 48),
        "expired": lambda: _forge(
            {**claims, "exp": now - timedelta(seconds=1)},
            key=(server.data_dir / "secret_key").read_text(),
        ),
        "garbage": lambda: "not.a.jwt",
        "huge": lambda: "a" * 10_000,
        "empty": lambda: "",
    }[kind]()
    with client(server) as c:
        r = c.get("/api/me", headers={"Authorization": f"Bearer {token}".strip()})
    assert r.status_code == 401
    assert r.json()["detail"] in {"Invalid or expired token", "Not authenticated"}


def test_login_rate_limits(server_factory) -> None:  # type: ignore[no-untyped-def]
    """Defaults: 10 logins a minute per address and per account; then 429 with Retry-After."""
    strict = server_factory(
        {"CODEPAIR_LOGIN_PER_MINUTE_PER_IP": "10", "CODEPAIR_LOGIN_PER_MINUTE_PER_ACCOUNT": "5"}
    )
    lead = bootstrap_lead(strict)  # one login
    with client(strict) as c:
        codes = [
            c.post(
                "/api/auth/login", json={"email": lead.email, "password": "bad-guess"}
            ).status_code
            for _ in range(5)
        ]
        assert codes == [401, 401, 401, 401, 429]  # the account's limit: 5 a minute
        blocked = c.post("/api/auth/login", json={"email": lead.email, "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        # Other accounts from the same address go on until the address's limit.
        codes = [
            c.post(
                "/api/auth/login", json={"email": f"x{i}@example.com", "password": "bad-guess"}
            ).status_code
            for i in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]


def test_room_creation_rate_limit(server_factory) -> None:  # type: ignore[no-untyped-def]
    strict = server_factory({"CODEPAIR_ROOMS_PER_MINUTE_PER_USER": "3"})
    lead = bootstrap_lead(strict)
    with client(strict) as c:
        codes = [
            c.post("/api/rooms", headers=lead.headers, json={"candidate_name": f"C{i}"}).status_code
            for i in range(4)
        ]
    assert codes == [201, 201, 201, 429]


def test_access_token_expiry(server_factory) -> None:  # type: ignore[no-untyped-def]
    quick = server_factory({"CODEPAIR_ACCESS_TOKEN_MINUTES": "0"})
    lead = bootstrap_lead(quick)
    time.sleep(1.1)
    with client(quick) as c:
        assert c.get("/api/me", headers=lead.headers).status_code == 401
        fresh = c.post("/api/auth/refresh", json={"refresh_token": lead.refresh_token})
        assert fresh.status_code == 200


def test_rate_limits_see_the_client_behind_a_trusted_proxy(server_factory) -> None:  # type: ignore[no-untyped-def]
    """Behind a trusted proxy each client has its own login budget; a forged header from an
    untrusted peer changes nothing."""
    strict = server_factory(
        {"CODEPAIR_LOGIN_PER_MINUTE_PER_IP": "2", "CODEPAIR_TRUSTED_PROXIES": "127.0.0.1"}
    )
    untrusted = server_factory({"CODEPAIR_LOGIN_PER_MINUTE_PER_IP": "2"})

    def attempts(srv: Server, forwarded_for: str) -> list[int]:
        with client(srv) as c:
            return [
                c.post(
                    "/api/auth/login",
                    headers={"X-Forwarded-For": forwarded_for},
                    json={"email": f"n{i}@example.com", "password": "bad-guess"},
                ).status_code
                for i in range(3)
            ]

    assert attempts(strict, "203.0.113.7") == [401, 401, 429]
    assert attempts(strict, "198.51.100.1, 203.0.113.8") == [401, 401, 429]  # another client
    assert attempts(untrusted, "203.0.113.9") == [401, 401, 429]
    assert attempts(untrusted, "203.0.113.10") == [429, 429, 429]  # header ignored: same peer
