"""A candidate's change that would take the code over its size cap: the page says so (not
"the interview may have ended"), and a reload goes on from what the server kept."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import ServerFactory
from tests.e2e.conftest import screenshot
from tests.e2e.test_interview import editor_text, type_in_editor, wait_for
from tests.support.api import bootstrap_lead, create_room, join

pytestmark = pytest.mark.browser


def test_a_change_over_the_code_cap_is_named_and_a_reload_goes_on_from_the_saved_code(
    server_factory: ServerFactory, new_context: Callable[[], BrowserContext]
) -> None:
    server = server_factory(env={"CODEPAIR_CODE_MAX_BYTES": "2048"})
    lead = bootstrap_lead(server)
    room = create_room(server, lead, candidate_name="Pat Paste")
    candidate = join(server, room, name="Pat")

    context = new_context()
    session = {"room_id": room["id"], "token": candidate.token, "name": "Pat"}
    context.add_init_script(
        f"sessionStorage.setItem('codepair.candidate', {json.dumps(json.dumps(session))})"
    )
    page = context.new_page()
    page.goto(f"{server.url}/rooms/{room['id']}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "true")
    type_in_editor(page, "saved = 1\n")
    wait_for(lambda: "saved = 1" in editor_text(page), "the first edit")
    page.wait_for_timeout(500)  # past the group commit

    page.keyboard.insert_text("x = '" + "y" * 3000 + "'\n")
    closing = page.get_by_test_id("closing-screen")
    expect(closing).to_contain_text("too large to save")
    expect(closing).not_to_contain_text("may have ended")
    screenshot(page, "doc-cap-candidate")
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-online", "true")
    # What the server kept (the typing before the refused change), no more and no less.
    kept = httpx.get(
        f"{server.url}/api/rooms/{room['id']}/history/code",
        headers={"Authorization": f"Bearer {lead.token}"},
    ).json()["text"]
    assert kept.startswith("saved = 1\n") and len(kept.encode()) <= 2048
    wait_for(lambda: editor_text(page).strip() == kept.strip(), "the saved code after the reload")
    expect(page.get_by_test_id("closing-screen")).to_have_count(0)
