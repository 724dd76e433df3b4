"""The interview record in Chromium: a candidate pastes and leaves the tab, the interviewer
sees it live and on the timeline, and the replay scrubs to that moment's code."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import console_errors, screenshot
from tests.e2e.test_board import draw, elements, open_board
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
    # The URL follows the playhead once it rests (250 ms): first to the end it opened at.
    host.wait_for_url(re.compile(r"[?&]t=\d"))
    at_end = host.url
    host.get_by_test_id("marker-paste").click()

    # At the paste: the pasted code is there, what was typed later is not.
    def at_paste() -> bool:
        text = replay_editor.inner_text().replace("\u00a0", " ")
        return "return [x * 2" in text and "print(helper" not in text

    wait_for(at_paste, "the code of the paste's moment at the marker")
    # Then to the paste's moment, so a copied address opens there.
    host.wait_for_url(lambda url: url != at_end and re.search(r"[?&]t=\d", url) is not None)
    screenshot(host, "record-replay-at-paste")

    # The link with ?t= opens the replay at that moment.
    deep = host.url
    again = new_context().new_page()
    sign_in(again, interviewer.email)
    again.goto(deep)
    expect(again.get_by_test_id("replay-editor")).to_contain_text("# my solution")
    assert "print(helper" not in again.get_by_test_id("replay-editor").inner_text()


def test_the_replay_of_a_live_room_spans_a_drawing_made_after_the_last_event(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    """The record carries the code and the notes; the page asks for the board's last update
    itself, so a drawing after every event and keystroke is still inside the scrubber."""
    room = create_room(server, lead, candidate_name="Cody")
    page = new_context().new_page()
    errors = console_errors(page)
    assert lead.email
    sign_in(page, lead.email)
    page.goto(f"/rooms/{room['id']}")
    open_board(page)
    time.sleep(2.0)  # the join is on the timeline well before the drawing
    drawn_at = time.time() * 1000
    draw(page, "rectangle", (300, 250), (520, 380))
    wait_for(lambda: elements(page) == 1, "the shape")
    time.sleep(1.5)  # the log's group commit

    # Another tab opens the replay: the drawer stays in the room (no leave on the timeline).
    drawer = page
    page = new_context().new_page()
    viewer_errors = console_errors(page)
    sign_in(page, lead.email)
    page.goto(f"/rooms/{room['id']}/replay")  # the room is still live
    expect(page.get_by_test_id("replay")).to_be_visible()
    end = wait_for(
        lambda: page.evaluate(
            f"() => window.codepairReplay?.end >= {drawn_at} && window.codepairReplay.end"
        ),
        "the scrubber's end at the drawing",
    )
    assert drawn_at <= end <= time.time() * 1000
    page.get_by_role("tab", name="Board").click()
    expect(page.get_by_test_id("replay-board")).to_have_attribute(
        "data-elements", "1"
    )  # at the end
    screenshot(page, "record-replay-live-board")
    assert elements(drawer) == 1
    assert not errors and not viewer_errors, (errors, viewer_errors)
