"""The audit page: a lead filters the log, sets the retention and erases a candidate."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import console_errors, screenshot
from tests.e2e.test_interview import sign_in
from tests.support.api import Actor, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser


def test_a_lead_reads_the_log_sets_retention_and_erases_a_candidate(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    tag = secrets.token_hex(3)
    stranger = f"mallory-{tag}@example.com"
    r = httpx.post(f"{server.url}/api/auth/login", json={"email": stranger, "password": "guess"})
    assert r.status_code == 401
    room = create_room(server, lead, candidate_name=f"Erin Erasable {tag}")

    # An interviewer has no Audit link, and the page sends them home.
    ivy = create_user(server, lead)
    page = new_context().new_page()
    assert ivy.email
    sign_in(page, ivy.email)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
    page.goto("/admin/audit")
    page.wait_for_url(re.compile(r"/$"))

    page = new_context().new_page()
    errors = console_errors(page)
    assert lead.email
    sign_in(page, lead.email)
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    log = page.get_by_role("table")

    # The failed sign-in, found by its action.
    page.get_by_label("Action").select_option("auth.login_failed")
    expect(log.get_by_role("row").filter(has_text=stranger)).to_have_count(1)
    expect(log).not_to_contain_text("Interview created")

    # One interview's events: a click on its id filters by it.
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Interview", exact=True).fill(room["id"])
    expect(log.get_by_role("row")).to_have_count(2)  # the header and "Interview created"
    expect(log).to_contain_text("Interview created")
    expect(log).to_contain_text(lead.name)
    screenshot(page, "audit-log")

    # Retention: set here, then back to the server's default.
    retention = page.get_by_label("Keep ended interviews for (days)")
    retention.fill("45")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Set here; the server's default is for ever.")).to_be_visible()
    page.get_by_role("button", name="Use the server's default").click()
    expect(page.get_by_text("The server's default (CODEPAIR_RETENTION_DAYS).")).to_be_visible()
    expect(retention).to_have_value("0")

    # Erasure: find, confirm, gone.
    page.get_by_label("Candidate's name or email").fill(f"erin erasable {tag}")
    page.get_by_role("button", name="Find interviews").click()
    page.get_by_role("button", name="Erase 1 interview").click()
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("Erased 1 interview and all their data.")).to_be_visible()
    r = httpx.get(f"{server.url}/api/rooms/{room['id']}", headers=lead.headers)
    assert r.status_code == 404
    page.get_by_role("button", name="Clear filters").click()
    expect(log.get_by_role("row").filter(has_text="Candidate erased").first).to_be_visible()
    assert errors == []
