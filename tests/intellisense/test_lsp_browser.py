"""Chromium: completion from pyright as one types, and a C++ error underlined by clangd."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORT
from tests.intellisense.conftest import need
from tests.support.api import PASSWORD, Actor, bootstrap_lead, client, create_room, join
from tests.support.server import Server

# Cold language servers beside a browser on two busy cores: minutes, not seconds.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

SHOTS = Path("/work/helpers/shots/lsp")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def sign_in(page: Page, lead: Actor) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(lead.email or "")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()


def open_editor(page: Page, room_id: str) -> None:
    page.goto(f"/rooms/{room_id}")
    editor = page.get_by_test_id("code-editor")
    expect(editor.locator(".monaco-editor")).to_be_visible()
    editor.locator(".view-lines").click()


@pytest.fixture(scope="module")
def srv(lsp_server: Server) -> Server:
    return lsp_server


def test_typing_os_pa_in_python_shows_path(browser: Browser, srv: Server) -> None:
    need("pyright/langserver.index.js")
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead, language="python")
    context = browser.new_context(base_url=srv.url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        sign_in(page, lead)
        open_editor(page, room["id"])
        page.keyboard.type("import os\n")
        page.wait_for_timeout(1500)  # the server has the line before the dot is typed
        page.keyboard.type("os.pa", delay=120)
        suggest = page.locator(".suggest-widget")
        expect(suggest.get_by_text("path", exact=True).first).to_be_visible(timeout=90_000)
        shot(page, "python-os-pa-completion")
        page.keyboard.press("Escape")
        # Hover over ``os`` shows pyright's answer.
        page.get_by_test_id("code-editor").locator(".view-line").first.get_by_text(
            "os").hover()
        expect(page.locator(".monaco-hover").first).to_contain_text("module", timeout=30_000)
        shot(page, "python-hover")
    finally:
        context.close()


def test_a_cpp_error_is_underlined(browser: Browser, srv: Server) -> None:
    need("/usr/bin/clangd")
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead, language="cpp")
    context = browser.new_context(base_url=srv.url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        sign_in(page, lead)
        open_editor(page, room["id"])
        page.keyboard.type('int count = "many";\n')
        squiggle = page.get_by_test_id("code-editor").locator(".squiggly-error")
        expect(squiggle.first).to_be_visible(timeout=60_000)
        # Monaco opens its hover after the pointer rests on the word; a hover that lands while
        # the editor still lays out is lost, so the pointer leaves and comes back until it opens.
        hover = page.locator(".monaco-hover:not(.hidden)").first
        for _ in range(6):
            page.mouse.move(0, 0)
            squiggle.first.hover(force=True)  # the text above it takes the pointer events
            try:
                expect(hover).to_contain_text("Cannot initialize", timeout=5_000)
                break
            except AssertionError:
                continue
        expect(hover).to_contain_text("Cannot initialize")
        shot(page, "cpp-error-underlined")
    finally:
        context.close()


def test_candidate_with_autocomplete_off_is_told_and_still_sees_errors(
    browser: Browser, srv: Server
) -> None:
    need("pyright/langserver.index.js")
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead, language="python", autocomplete="off")
    candidate = join(srv, room)
    with client(srv) as c:
        assert c.get(f"/api/rooms/{room['id']}", headers=lead.headers).json()[
            "autocomplete"] == "off"
    context = browser.new_context(base_url=srv.url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"/join/{room['invite_token']}")
        page.get_by_label("Your name").fill(candidate.name)
        page.get_by_role("button", name="Join").click()
        editor = page.get_by_test_id("code-editor")
        expect(editor.locator(".monaco-editor")).to_be_visible()
        expect(page.get_by_test_id("lsp-note")).to_contain_text("Autocomplete is off")
        editor.locator(".view-lines").click()
        page.keyboard.type('n: int = "x"\n')
        expect(editor.locator(".squiggly-error").first).to_be_visible(timeout=90_000)
        page.keyboard.type("import os\nos.pa", delay=80)
        page.wait_for_timeout(1500)
        expect(page.locator(".suggest-widget").get_by_text("path", exact=True)).to_have_count(0)
        shot(page, "candidate-autocomplete-off")
    finally:
        context.close()
