"""A real OpenID provider (node-oidc-provider, tests/node/oidc_provider.mjs) for the single
sign-on tests, and a browserless walk through its sign-in pages."""

from __future__ import annotations

import html
import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
CLIENT_ID = "codepair-test"
CLIENT_SECRET = "a-client-secret-for-tests-only-0123456789"


def new_jwk(kid: str = "k1") -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


@dataclass
class OpenIdProvider:
    issuer: str
    jwk: dict[str, Any]  # the private signing key it uses (tests sign look-alikes with it)
    proc: subprocess.Popen[bytes]


def oidc_env(issuer: str, domains: str = "corp.example") -> dict[str, str]:
    return {
        "CODEPAIR_OIDC_ISSUER": issuer,
        "CODEPAIR_OIDC_CLIENT_ID": CLIENT_ID,
        "CODEPAIR_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "CODEPAIR_OIDC_ALLOWED_DOMAINS": domains,
        "CODEPAIR_OIDC_PROVIDER_NAME": "Corp SSO",
    }


@contextmanager
def openid_provider(port: int, redirect_uri: str, workdir: Path) -> Iterator[OpenIdProvider]:
    jwk = new_jwk()
    jwks_file = workdir / "provider-jwks.json"
    jwks_file.write_text(json.dumps({"keys": [jwk]}))
    issuer = f"http://127.0.0.1:{port}"
    log = (workdir / "provider.log").open("wb")
    proc = subprocess.Popen(
        ["node", str(NODE_DIR / "oidc_provider.mjs")],
        cwd=NODE_DIR,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "ISSUER": issuer,
            "PORT": str(port),
            "JWKS_FILE": str(jwks_file),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": redirect_uri,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "provider.log").read_text())
            time.sleep(0.1)
        yield OpenIdProvider(issuer=issuer, jwk=jwk, proc=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page[:2000]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return urljoin(base, html.unescape(action.group(1))), fields


def sign_in_via_provider(server_url: str, login: str) -> str:
    """Start at the server, sign in at the provider's pages as ``login``, consent, and come
    back: the URL the server finally sends the browser to (``/login#sso=...`` or
    ``/login?sso_error=...``)."""
    with httpx.Client(timeout=20) as browser:
        r = browser.get(f"{server_url}/api/auth/oidc/login")
        for _ in range(20):
            if r.is_redirect:
                location = urljoin(str(r.url), r.headers["location"])
                if location.startswith(f"{server_url}/login"):
                    return location
                r = browser.get(location)
                continue
            assert r.status_code == 200, (r.status_code, r.text[:500])
            action, fields = _form(r.text, str(r.url))
            if fields.get("prompt") == "login":
                fields.update(login=login, password="any")
            r = browser.post(action, data=fields)
        raise AssertionError("too many steps")


def sso_result(location: str) -> tuple[str | None, str | None]:
    """(refresh token, error) from where the server sent the browser."""
    parts = urlsplit(location)
    fragment = parse_qs(parts.fragment)
    query = parse_qs(parts.query)
    return (fragment.get("sso", [None])[0], query.get("sso_error", [None])[0])
