"""The server restarts mid-interview: both pages re-sync by themselves, edits made meanwhile
included, and the video call comes back."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import ServerFactory
from tests.e2e.test_interview import editor_text, frames_decoded, type_in_editor, wait_for
from tests.support.api import PASSWORD, bootstrap_lead, create_room, join

pytestmark = pytest.mark.browser

CONNECTED = "[data-testid=remote-tile][data-connection-state=connected]"


def test_pages_resync_after_a_server_restart(
    server_factory: ServerFactory, new_context: Callable[[], BrowserContext]
) -> None:
    server = server_factory()
    lead = bootstrap_lead(server)
    room = create_room(server, lead, candidate_name="Rita Restart")
    candidate = join(server, room, name="Rita")
    assert lead.email

    host_ctx = new_context()
    host = host_ctx.new_page()
    # new_context's base URL is the shared server's: this test's server gets full URLs.
    host.goto(f"{server.url}/login")
    host.get_by_label("Email").fill(lead.email)
    host.get_by_label("Password").fill(PASSWORD)
    host.get_by_role("button", name="Sign in").click()
    host.wait_for_url(f"{server.url}/")
    host.goto(f"{server.url}/rooms/{room['id']}")

    cand_ctx = new_context()
    session = {"room_id": room["id"], "token": candidate.token, "name": "Rita"}
    cand_ctx.add_init_script(
        f"sessionStorage.setItem('codepair.candidate', {json.dumps(json.dumps(session))})"
    )
    cand = cand_ctx.new_page()
    cand.goto(f"{server.url}/rooms/{room['id']}")
    for page in (host, cand):
        expect(page.locator(CONNECTED)).to_have_count(1)
    type_in_editor(host, "before = True\n")
    wait_for(lambda: "before = True" in editor_text(cand), "the first edit")

    server.stop()
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "false")
    type_in_editor(cand, "during = 'the restart'")
    expect(cand.get_by_test_id("connection")).to_contain_text("unsynced")
    server.start()

    wait_for(lambda: "during = 'the restart'" in editor_text(host), "the edit made meanwhile", 30)
    for page in (host, cand):
        expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "true")
        expect(page.locator(CONNECTED)).to_have_count(1, timeout=30_000)
    before = frames_decoded(cand)
    wait_for(lambda: frames_decoded(cand) > before, "video after the restart")
    assert editor_text(host).count("before = True") == 1
