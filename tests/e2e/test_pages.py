"""The pages around the room: sign-in errors, dead invite links, settings and user admin."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_interview import sign_in
from tests.support.api import Actor, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser


def test_dashboard_search_filter_pages_and_co_interviewers(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    owner = create_user(server, lead, name="Dana Dashboard")
    create_user(server, lead, name="Quinn Colleague")
    for i in range(11):
        create_room(server, owner, candidate_name=f"Batch Candidate {i:02d}")
    special = create_room(server, owner, candidate_name="Zed Unique")
    httpx.post(f"{server.url}/api/rooms/{special['id']}/end", headers=owner.headers)
    assert owner.email

    page = new_context().new_page()
    sign_in(page, owner.email)
    expect(page.get_by_role("navigation", name="Pagination")).to_contain_text("1\u201310 of 12")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("navigation", name="Pagination")).to_contain_text("11\u201312 of 12")
    page.get_by_role("tab", name="Ended").click()
    expect(page.get_by_role("row")).to_have_count(2)  # the header and Zed's room
    expect(page.get_by_role("cell", name=re.compile("^Zed Unique"))).to_be_visible()
    page.get_by_role("tab", name="All").click()
    page.keyboard.press("ArrowRight")  # tabs move with the arrow keys
    expect(page.get_by_role("tab", name="Live")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="All")).to_be_focused()
    page.get_by_role("searchbox", name="Search interviews").fill("Candidate 07")
    expect(page.get_by_role("row")).to_have_count(2)

    # Edit: add a co-interviewer found by name.
    page.get_by_role("button", name="Edit interview with Batch Candidate 07").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Find a colleague").fill("Quinn")
    dialog.get_by_role("button", name=re.compile("Quinn Colleague")).click()
    expect(dialog.get_by_role("button", name="Remove Quinn Colleague")).to_be_visible()
    screenshot(page, "edit-dialog")
    dialog.get_by_label("Allow running code in this room").uncheck()
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("row", name=re.compile("Batch Candidate 07"))).to_contain_text("Quinn")
    rooms = httpx.get(
        f"{server.url}/api/rooms", params={"q": "Candidate 07"}, headers=owner.headers
    ).json()["items"]
    assert [r["runs_enabled"] for r in rooms] == [False]

    # Delete asks first.
    page.get_by_role("button", name="Delete interview with Batch Candidate 07").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="No interviews match")).to_be_visible()


def test_sign_in_errors_dead_links_and_user_admin(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    page = new_context().new_page()

    # A wrong password gets one clear message, and the form stays usable.
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an active account")
    screenshot(page, "login-error")

    # An unknown invite and an ended interview each get their own page, before any typing.
    page.goto("/join/not-a-real-token")
    expect(page.get_by_role("heading", name="This invite link is not valid")).to_be_visible()
    room = create_room(server, lead, candidate_name="Ended Early")
    page.goto(f"/join/{room['invite_token']}")
    expect(page.get_by_label("Your name")).to_be_visible()
    r = httpx.post(f"{server.url}/api/rooms/{room['id']}/end", headers=lead.headers)
    assert r.status_code == 200, r.text
    # Ended while the page was open: the answer to Join says so.
    page.get_by_label("Your name").fill("Pat")
    page.get_by_role("button", name="Join interview").click()
    expect(page.get_by_role("heading", name="This interview has ended")).to_be_visible()
    page.goto(f"/join/{room['invite_token']}")
    expect(page.get_by_role("heading", name="This interview has ended")).to_be_visible()

    # A lead adds an interviewer, who can then sign in; then deactivates them.
    assert lead.email
    sign_in(page, lead.email)
    page.get_by_role("link", name="Users").click()
    page.get_by_role("button", name="+ Add user").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Nora New")
    dialog.get_by_label("Email").fill("nora.new@example.com")
    dialog.get_by_label("Initial password").fill("a-long-password")
    dialog.get_by_role("button", name="Create user").click()
    row = page.get_by_role("row", name=re.compile("Nora New"))
    expect(row).to_be_visible()
    screenshot(page, "admin-users")
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_contain_text("Deactivated")
    r = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": "nora.new@example.com", "password": "a-long-password"},
    )
    assert r.status_code == 401

    # Settings: the interviewer renames themself; the header follows.
    interviewer = create_user(server, lead, name="Old Name")
    assert interviewer.email
    other = new_context().new_page()
    sign_in(other, interviewer.email)
    other.get_by_role("link", name="Settings").click()
    other.get_by_label("Name", exact=True).fill("New Name")
    other.get_by_role("button", name="Save profile").click()
    expect(other.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(other.get_by_role("banner")).to_contain_text("New Name")
