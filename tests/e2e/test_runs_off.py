"""On a server without bubblewrap the room shows why runs are off, not a Run button."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ServerFactory
from tests.e2e.conftest import VIEWPORT, screenshot
from tests.runs_off.machine import path_without
from tests.support.api import PASSWORD, bootstrap_lead, create_room

pytestmark = pytest.mark.browser


def test_room_shows_why_runs_are_off(
    browser: Browser, server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory({"PATH": path_without(tmp_path, "bwrap")})
    lead = bootstrap_lead(server)
    room = create_room(server, lead, candidate_name="Nora Nobwrap")
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(lead.email or "")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()
        page.goto(f"/rooms/{room['id']}")
        notice = page.get_by_test_id("runs-off")
        expect(notice).to_contain_text("bubblewrap")
        expect(notice).to_contain_text("apt-get install -y bubblewrap")
        expect(page.get_by_role("button", name="▶ Run")).to_have_count(0)
        screenshot(page, "runs-off-interviewer")
    finally:
        context.close()
