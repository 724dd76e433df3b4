"""The whole interview in two (then three) real browsers against a real server.

An interviewer signs in, creates a room and copies the link; a candidate joins by it with a
fake camera; they code, talk and chat; a co-interviewer reads the notes live; the candidate's
network drops and comes back; the interviewer ends the interview.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import screenshot
from tests.support.api import PASSWORD, Actor, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()


def editor_text(page: Page) -> str:
    text: str = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=code-editor] .view-line')]"
        ".map(l => l.textContent).join('\\n')"
    )
    return text.replace("\u00a0", " ")


def type_in_editor(page: Page, text: str) -> None:
    page.locator("[data-testid=code-editor] .view-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def frames_decoded(page: Page) -> int:
    count: int = page.evaluate(
        "() => Math.max(0, ...[...document.querySelectorAll('video[data-remote]')]"
        ".map(v => v.getVideoPlaybackQuality().totalVideoFrames))"
    )
    return count


def test_interview_end_to_end(server: Server, lead: Actor, new_context: NewContext) -> None:
    interviewer = create_user(server, lead, name="Iris Interviewer")
    co = create_user(server, lead, name="Colin Cointerviewer")

    # --- the interviewer signs in, creates the room and copies its link ---------------
    host_ctx = new_context()
    host = host_ctx.new_page()
    host_requests: list[str] = []
    host.on("request", lambda request: host_requests.append(request.url))
    assert interviewer.email
    sign_in(host, interviewer.email)
    host.get_by_role("button", name="New interview").click()
    dialog = host.get_by_role("dialog")
    dialog.get_by_label("Candidate name").fill("Cody Candidate")
    dialog.get_by_label("Title").fill("Backend pairing")
    dialog.get_by_role("button", name="Create interview").click()
    invite_url = host.get_by_test_id("invite-url").inner_text()
    assert re.fullmatch(rf"{re.escape(server.url)}/join/\S+", invite_url), invite_url
    host.get_by_role("status").get_by_role("button", name=re.compile("Copy invite link")).click()
    assert host.evaluate("() => navigator.clipboard.readText()") == invite_url
    expect(host.get_by_role("cell", name=re.compile("^Cody Candidate"))).to_be_visible()
    screenshot(host, "dashboard")
    # Monaco ships in the room chunk: sign-in and the dashboard never load it.
    assert not [u for u in host_requests if "/RoomPage-" in u or "editor.worker" in u]
    host.get_by_role("link", name="Open room", exact=True).click()
    host.wait_for_url(re.compile(r"/rooms/"))
    room_id = host.url.rsplit("/", 1)[1]

    # The co-interviewer is added through the API, as the owner would in the edit dialog.
    with httpx.Client(base_url=server.url) as c:
        r = c.post(
            f"/api/rooms/{room_id}/interviewers",
            headers=interviewer.headers,
            json={"user_id": co.user_id},
        )
        assert r.status_code == 201, r.text

    # --- the candidate joins by the link with a camera check --------------------------
    cand_ctx = new_context()
    cand = cand_ctx.new_page()
    cand_requests: list[str] = []
    cand.on("request", lambda request: cand_requests.append(request.url))
    cand.on("websocket", lambda ws: cand_requests.append(ws.url))
    cand.goto(invite_url)
    expect(cand.get_by_role("heading", name="Join your interview")).to_be_visible()
    wait_for(
        lambda: cand.evaluate(
            "() => document.querySelector('[data-testid=preview]').videoWidth > 0"
        ),
        "the camera preview",
    )
    cand.get_by_label("Your name").fill("Cody")
    screenshot(cand, "join")
    started = time.monotonic()
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room_id}$"))
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "true")
    ready_s = time.monotonic() - started
    print(f"candidate room ready in {ready_s:.2f}s")

    # --- shared editor both ways, with the remote cursor and its name -----------------
    type_in_editor(host, "def solve(xs):\n")
    wait_for(lambda: "def solve(xs):" in editor_text(cand), "host typing on the candidate")
    type_in_editor(cand, "return sorted(xs)")
    wait_for(lambda: "return sorted(xs)" in editor_text(host), "candidate typing on the host")
    head = host.locator("[data-testid=code-editor] .yRemoteSelectionHead").first
    expect(head).to_be_attached()
    cursor_label = "el => getComputedStyle(el, '::after').content"
    wait_for(lambda: "Cody" in head.evaluate(cursor_label), "the remote cursor's name")

    # A remote edit above the caret must not move it: the host keeps typing where they were.
    type_in_editor(host, "")
    cand.locator("[data-testid=code-editor] .view-lines").click()
    cand.keyboard.press("Control+Home")
    cand.keyboard.type("# header\n")
    wait_for(lambda: editor_text(host).startswith("# header"), "the remote line above")
    host.keyboard.type("  # tail")
    wait_for(lambda: "return sorted(xs)  # tail" in editor_text(cand), "the host's edit in place")
    assert editor_text(host).splitlines()[0] == "# header"

    host.get_by_test_id("language-picker").select_option("javascript")
    expect(cand.get_by_test_id("language-picker")).to_have_value("javascript")

    # --- video both ways -----------------------------------------------------------------
    for page in (host, cand):
        expect(
            page.locator("[data-testid=remote-tile][data-connection-state=connected]")
        ).to_have_count(1)
    wait_for(lambda: frames_decoded(host) > 0 and frames_decoded(cand) > 0, "decoded frames")

    # --- chat both ways ---------------------------------------------------------------------
    host.get_by_label("Chat message").fill("Welcome, Cody!")
    host.get_by_label("Chat message").press("Enter")
    expect(cand.get_by_test_id("chat-messages")).to_contain_text("Welcome, Cody!")
    cand.get_by_label("Chat message").fill("Hi! Happy to be here.")
    cand.get_by_label("Chat message").press("Enter")
    expect(host.get_by_test_id("chat-messages")).to_contain_text("Happy to be here.")

    # --- a run: the candidate runs the code, everyone sees the output ---------------------
    host.get_by_test_id("language-picker").select_option("python")
    expect(cand.get_by_test_id("language-picker")).to_have_value("python")
    type_in_editor(host, "\n")
    host.keyboard.press("Backspace")  # out of the function body Monaco indented into
    host.keyboard.type("print(solve([3, 1, 2]))")
    wait_for(lambda: "print(solve([3, 1, 2]))" in editor_text(cand), "the print line")
    cand.get_by_role("button", name="▶ Run").click()
    for page in (cand, host):
        expect(page.get_by_test_id("run-output")).to_contain_text("[1, 2, 3]", timeout=30_000)
        expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    type_in_editor(host, "")
    host.keyboard.press("Control+Enter")  # runs again, from the editor
    expect(cand.get_by_label("Run history").locator("option")).to_have_count(2)

    # --- notes: never for the candidate; live between interviewers ------------------------
    expect(cand.get_by_role("tab", name="Notes")).to_have_count(0)
    expect(cand.get_by_test_id("notes-panel")).to_have_count(0)
    assert not [u for u in cand_requests if "/NotesPanel-" in u or "/yjs/notes" in u]
    refused = cand.evaluate(
        """(roomId) => new Promise((resolve) => {
            const { token } = JSON.parse(sessionStorage.getItem('codepair.candidate'));
            const ws = new WebSocket(`ws://${location.host}/ws/rooms/${roomId}/yjs/notes?token=${token}`);
            ws.onopen = () => resolve(false);
            ws.onclose = () => resolve(true);
        })""",
        room_id,
    )
    assert refused, "the candidate's notes socket was accepted"

    co_ctx = new_context()
    co_page = co_ctx.new_page()
    assert co.email
    sign_in(co_page, co.email)
    co_page.goto(f"/rooms/{room_id}")
    co_page.get_by_role("tab", name="Notes").click()
    host.get_by_role("tab", name="Notes").click()
    cand.get_by_label("Chat message").fill("Should I handle empty lists?")
    cand.get_by_label("Chat message").press("Enter")
    expect(host.get_by_test_id("unread")).to_have_text("1")
    host.get_by_test_id("notes-editor").click()
    host.keyboard.type("Strong on complexity analysis.")
    expect(co_page.get_by_test_id("notes-editor")).to_contain_text("Strong on complexity analysis.")
    expect(
        co_page.locator(".collaboration-carets__label", has_text="Iris Interviewer")
    ).to_be_visible()
    screenshot(co_page, "room-notes")
    co_ctx.close()

    host.get_by_role("tab", name="Chat").click()
    expect(host.get_by_test_id("unread")).to_have_count(0)
    expect(host.get_by_test_id("chat-messages")).to_contain_text("empty lists")
    screenshot(host, "room-interviewer")
    screenshot(cand, "room-candidate")

    # --- the candidate's network drops; their offline edits arrive when it returns -------
    cand_ctx.set_offline(True)
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "false")
    type_in_editor(cand, "\n# typed while offline")
    expect(cand.get_by_test_id("connection")).to_contain_text("unsynced")
    cand_ctx.set_offline(False)
    wait_for(lambda: "# typed while offline" in editor_text(host), "offline edits on the host")
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "true")

    # --- the interviewer ends it; the candidate sees the closing screen -------------------
    host.get_by_role("button", name="End interview").click()
    host.get_by_role("dialog").get_by_role("button", name="End interview").click()
    expect(cand.get_by_test_id("closing-screen")).to_be_visible()
    # Ending takes the interviewer to their scorecard; the room stays readable, read-only.
    host.wait_for_url(re.compile(rf"/rooms/{room_id}/scorecard$"))
    host.goto(f"/rooms/{room_id}")
    expect(host.get_by_text("Interview ended")).to_be_visible()
    expect(host.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    # The ended room's code as it was (the editor is on screen before the document syncs).
    wait_for(lambda: "# typed while offline" in editor_text(host), "the final code on reopening")
    before = editor_text(host)
    type_in_editor(host, "late edit")
    host.wait_for_timeout(300)
    assert editor_text(host) == before
    screenshot(cand, "closing")
