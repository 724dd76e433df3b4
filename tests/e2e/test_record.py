"""The interview record in Chromium: a candidate pastes and leaves the tab, the interviewer
sees it live and on the timeline, and the replay scrubs to that moment's code."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_interview import editor_text, sign_in, type_in_editor, wait_for
from tests.support.api import Actor, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

PASTED = "def helper(xs):\n    return [x * 2 for x in xs]\n"


def test_paste_and_tab_switch_reach_the_interviewer_timeline_and_replay(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    interviewer = create_user(server, lead, name="Iris Interviewer")
    room = create_room(server, interviewer, candidate_name="Cody Candidate")
    host = new_context().new_page()
    assert interviewer.email
    sign_in(host, interviewer.email)
    host.goto(f"/rooms/{room['id']}")
    expect(host.locator("[data-testid=code-editor] .view-lines")).to_be_visible()

    cand_ctx = new_context()
    cand = cand_ctx.new_page()
    cand.goto(room["invite_url"])
    # The candidate is told what interviewers can see, before joining and in the room.
    expect(cand.get_by_test_id("recording-notice")).to_contain_text("paste")
    cand.get_by_label("Your name").fill("Cody")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    expect(cand.get_by_test_id("recording-notice")).to_be_visible()
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "true")

    type_in_editor(cand, "# my solution\n")
    wait_for(lambda: "# my solution" in editor_text(host), "the candidate's typing")
    # A paste from the system clipboard (outside the editor).
    cand.evaluate("(text) => navigator.clipboard.writeText(text)", PASTED)
    cand.keyboard.press("Control+V")
    wait_for(lambda: "return [x * 2" in editor_text(host), "the pasted code on the host")
    indicator = host.get_by_test_id("activity-indicator")
    expect(indicator).to_contain_text(f"Cody pasted {len(PASTED)} characters from outside")
    screenshot(host, "record-live-paste")

    # The candidate switches to another tab, then comes back. (Playwright makes every page
    # think it has focus; a real browser's window loses it when another tab comes to the
    # front, so let this one.)
    cand_ctx.new_cdp_session(cand).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    cand.bring_to_front()
    other = cand_ctx.new_page()
    other.bring_to_front()
    expect(indicator).to_contain_text("Cody left the tab")
    screenshot(host, "record-live-away")
    host.wait_for_timeout(1200)
    cand.bring_to_front()
    expect(indicator).to_contain_text("Cody came back after")
    other.close()
    type_in_editor(cand, "print(helper([1, 2]))\n")
    wait_for(lambda: "print(helper" in editor_text(host), "typing after the paste")
    host.wait_for_timeout(300)

    with httpx.Client(base_url=server.url) as c:
        timeline = c.get(f"/api/rooms/{room['id']}/timeline", headers=interviewer.headers).json()
        kinds = [(e["type"], (e["actor"] or {}).get("name")) for e in timeline["events"]]
        assert ("paste", "Cody") in kinds and ("focus_lost", "Cody") in kinds, kinds
        assert ("focus_returned", "Cody") in kinds, kinds
        paste = next(e for e in timeline["events"] if e["type"] == "paste")
        assert paste["chars"] == len(PASTED) and paste["external"] is True
        ended = c.post(f"/api/rooms/{room['id']}/end", headers=interviewer.headers)
        assert ended.status_code == 200

    # After the end, the room offers the replay.
    host.get_by_test_id("open-replay").click()
    host.wait_for_url(re.compile(rf"/rooms/{room['id']}/replay"))
    replay_editor = host.get_by_test_id("replay-editor")
    expect(replay_editor).to_contain_text("print(helper([1, 2]))")  # opens at the end
    host.get_by_test_id("marker-paste").click()

    # At the paste: the pasted code is there, what was typed later is not.
    def at_paste() -> bool:
        text = replay_editor.inner_text().replace("\u00a0", " ")
        return "return [x * 2" in text and "print(helper" not in text

    wait_for(at_paste, "the code of the paste's moment at the marker")
    # The URL follows the playhead once it rests (250 ms), so a copied address opens there.
    host.wait_for_url(re.compile(r"[?&]t=\d"))
    screenshot(host, "record-replay-at-paste")

    # The link with ?t= opens the replay at that moment.
    deep = host.url
    again = new_context().new_page()
    sign_in(again, interviewer.email)
    again.goto(deep)
    expect(again.get_by_test_id("replay-editor")).to_contain_text("# my solution")
    assert "print(helper" not in again.get_by_test_id("replay-editor").inner_text()
