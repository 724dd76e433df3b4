"""A signed-in interviewer whose session dies keeps what they typed: sign in again, it is there."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.test_interview import editor_text, sign_in, type_in_editor, wait_for
from tests.support.api import PASSWORD, Actor, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser


def test_revoked_session_keeps_offline_typing(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    interviewer = create_user(server, lead, name="Sam Signedout")
    room = create_room(server, interviewer, candidate_name="Riley")
    assert interviewer.email and lead.email

    ctx = new_context()
    page = ctx.new_page()
    sign_in(page, interviewer.email)
    page.goto(f"/rooms/{room['id']}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "true")
    type_in_editor(page, "first = 1\n")

    # Offline, the interviewer keeps typing; meanwhile their session is revoked elsewhere.
    ctx.set_offline(True)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "false")
    type_in_editor(page, "kept = 'typed while signed out'")
    refresh_token = page.evaluate("() => localStorage.getItem('codepair.refresh')")
    r = httpx.post(f"{server.url}/api/auth/logout", json={"refresh_token": refresh_token})
    assert r.status_code == 204, r.text

    # Back online: the app finds the session gone and asks for sign-in, keeping the room.
    ctx.set_offline(False)
    page.wait_for_url(re.compile(r"/login\?.*expired=1"))
    expect(page.get_by_text("Your session ended")).to_be_visible()
    page.get_by_label("Email").fill(interviewer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    wait_for(lambda: "typed while signed out" in editor_text(page), "the kept typing")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "true")

    # And the server has it: a lead opening the room sees the same code.
    other = new_context().new_page()
    sign_in(other, lead.email)
    other.goto(f"/rooms/{room['id']}")
    wait_for(lambda: "typed while signed out" in editor_text(other), "the code on the server")
    assert editor_text(other).count("first = 1") == 1
