"""Integrations in Chromium: single sign-on against a real OpenID provider, the webhooks page
with a real receiver, API tokens in Settings, and a room's invitation by email."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from codepair.domain.integrations import webhooks
from tests.conftest import ServerFactory
from tests.e2e.conftest import VIEWPORT, screenshot
from tests.e2e.test_interview import sign_in
from tests.integrations.oidc import OpenIdProvider, oidc_env, openid_provider
from tests.integrations.receiver import receiver
from tests.integrations.smtp import Inbox, smtp_server
from tests.support.api import Actor, bootstrap_lead, client
from tests.support.server import Server, free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(free_port()) as box:
        yield box


@pytest.fixture(scope="module")
def op_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def app(server_factory: ServerFactory, op_port: int, inbox: Inbox) -> Server:
    return server_factory(
        {
            **oidc_env(f"http://127.0.0.1:{op_port}"),
            "CODEPAIR_WEBHOOK_ALLOW_PRIVATE": "true",
            "CODEPAIR_OUTBOX_POLL_SECONDS": "0.2",
            "CODEPAIR_SMTP_URL": f"smtp://127.0.0.1:{inbox.port}",
        }
    )


@pytest.fixture(scope="module")
def provider(
    app: Server, op_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenIdProvider]:
    with openid_provider(
        op_port, f"{app.url}/api/auth/oidc/callback", Path(tmp_path_factory.mktemp("op"))
    ) as running:
        yield running


@pytest.fixture(scope="module")
def app_lead(app: Server) -> Actor:
    return bootstrap_lead(app)


@pytest.fixture
def page_for(browser: Browser, app: Server) -> Iterator[Callable[[], Page]]:
    contexts: list[BrowserContext] = []

    def make() -> Page:
        # The interviewer types times in Paris; the candidate is told them in Paris too.
        context = browser.new_context(
            base_url=app.url, viewport=VIEWPORT, timezone_id="Europe/Paris"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sso_at_provider(page: Page, login: str) -> None:
    """The provider's own pages: sign in as ``login``, then consent."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("whatever")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_single_sign_on_end_to_end(
    app: Server, provider: OpenIdProvider, page_for: Callable[[], Page]
) -> None:
    page = page_for()
    page.goto("/login")
    button = page.get_by_role("link", name="Sign in with Corp SSO")
    expect(button).to_be_visible()
    screenshot(page, "integrations-login-sso")
    button.click()
    page.wait_for_url(f"{provider.issuer}/**")
    email = f"ada-{secrets.token_hex(3)}@corp.example"
    sso_at_provider(page, email)
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()
    expect(page.get_by_text("SSO ada-")).to_be_visible()
    assert "#sso=" not in page.url  # the token left the address bar
    screenshot(page, "integrations-sso-signed-in")
    # A reload keeps the session (the refresh token was rotated and stored).
    page.reload()
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()


def test_single_sign_on_refuses_a_foreign_domain(
    app: Server, provider: OpenIdProvider, page_for: Callable[[], Page]
) -> None:
    page = page_for()
    page.goto("/login")
    page.get_by_role("link", name="Sign in with Corp SSO").click()
    sso_at_provider(page, f"mallory-{secrets.token_hex(3)}@foreign.example")
    expect(page.get_by_text("Single sign-on failed")).to_be_visible()
    expect(page.get_by_text("ask a lead to invite you")).to_be_visible()
    screenshot(page, "integrations-sso-refused")


def test_webhooks_page_adds_an_endpoint_and_sends_a_test_event(
    app: Server, app_lead: Actor, page_for: Callable[[], Page]
) -> None:
    assert app_lead.email
    with receiver() as rec:
        page = page_for()
        sign_in(page, app_lead.email)
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
        page.get_by_role("button", name="+ Add endpoint").click()
        page.get_by_label("Endpoint URL").fill(rec.url)
        page.get_by_label("Description (optional)").fill("Applicant tracking")
        page.get_by_role("button", name="Add endpoint", exact=True).click()
        secret_box = page.get_by_label("Signing secret")
        expect(secret_box).to_have_value(re.compile(r"^whsec_"))
        secret = secret_box.input_value()
        assert secret.startswith("whsec_")
        screenshot(page, "integrations-webhook-secret")
        page.get_by_role("button", name="Done").click()
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("Delivered")).to_be_visible()
        req = rec.wait_for(1)[0]
        assert webhooks.verify(secret, req.headers, req.body)
        assert json.loads(req.body)["type"] == "webhook.test"
        screenshot(page, "integrations-webhooks")


def test_api_tokens_in_settings(
    app: Server, app_lead: Actor, page_for: Callable[[], Page]
) -> None:
    assert app_lead.email
    page = page_for()
    sign_in(page, app_lead.email)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Token name").fill("Greenhouse sync")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("New API token").input_value()
    assert token.startswith("cpat_")
    with client(app) as c:
        r = c.post(
            "/api/rooms",
            headers={"Authorization": f"Bearer {token}"},
            json={"candidate_name": "From the ATS"},
        )
        assert r.status_code == 201
    page.reload()
    tokens = page.get_by_role("list", name="Your API tokens")
    expect(tokens).to_contain_text("Greenhouse sync")
    expect(tokens).to_contain_text("last used")
    expect(page.get_by_text("Allow sign-in with email and password")).to_be_visible()
    page.get_by_role("heading", name="API tokens").scroll_into_view_if_needed()
    screenshot(page, "integrations-settings-tokens")
    tokens.get_by_role("button", name="Revoke").first.click()
    expect(tokens).to_contain_text("Revoked")
    with client(app) as c:
        r = c.get("/api/rooms", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_a_new_interview_emails_the_candidate(
    app: Server, app_lead: Actor, inbox: Inbox, page_for: Callable[[], Page]
) -> None:
    assert app_lead.email
    page = page_for()
    sign_in(page, app_lead.email)
    page.get_by_role("button", name="New interview").first.click()
    to = f"cand-{secrets.token_hex(3)}@example.org"
    page.get_by_label("Candidate name").fill("Mia Mail")
    page.get_by_label("Candidate email").fill(to)
    page.get_by_label("Candidate's time zone").fill("Europe/Paris")
    page.get_by_label("Scheduled for").fill("2031-05-06T10:00")
    screenshot(page, "integrations-room-form-email")
    page.get_by_role("button", name="Create interview").click()
    expect(page.get_by_text("Mia Mail").first).to_be_visible()
    deadline = time.monotonic() + 15
    while not inbox.to(to):
        assert time.monotonic() < deadline, "no invitation arrived"
        time.sleep(0.1)
    [msg] = inbox.to(to)
    assert "10:00 (Europe/Paris)" in msg.get_body(preferencelist=("plain",)).get_content()
