"""The shared terminal in two real browsers: a candidate and an interviewer type into one
shell, run the tests, escape sequences only paint, and the replay shows the terminal at an
earlier moment. Screenshots go to artifacts/ (and /work/helpers/shots/terminal/ when it
exists) to be looked at."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import console_errors, screenshot
from tests.e2e.test_board import sign_in, wait_for
from tests.support.api import Actor, create_room
from tests.support.server import Server

# Two browsers, two shells' worth of typing and a server on two busy cores.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

SHOTS = Path("/work/helpers/shots/terminal")


def shot(page: Page, name: str) -> None:
    path = screenshot(page, f"terminal-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def screen(page: Page, testid: str = "terminal") -> str:
    return page.get_by_test_id(testid).locator(".xterm-rows").inner_text().replace("\u00a0", " ")


def open_terminal(page: Page) -> None:
    page.get_by_role("tab", name="Terminal").click()
    try:  # xterm.js loads with the tab: give a busy machine time
        expect(page.get_by_test_id("terminal-state")).to_have_text("Shell running",
                                                                   timeout=60_000)
        wait_for(lambda: "$" in screen(page), "a prompt", timeout=30)
    except Exception:
        shot(page, "failed-to-open")
        raise


def type_line(page: Page, text: str) -> None:
    page.get_by_test_id("terminal").locator(".xterm-helper-textarea").focus(timeout=60_000)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_two_people_share_a_terminal_and_the_replay_shows_it(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    room = create_room(server, lead, candidate_name="Cody", language="python")
    host = new_context().new_page()
    host.set_default_timeout(60_000)  # five engineers' tests share two cores here
    host_errors = console_errors(host)
    assert lead.email
    sign_in(host, lead.email)
    host.goto(f"/rooms/{room['id']}")
    open_terminal(host)

    cand = new_context().new_page()
    cand.set_default_timeout(60_000)
    cand_errors = console_errors(cand)
    cand.goto(room["invite_url"])
    cand.get_by_label("Your name").fill("Cody")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    open_terminal(cand)
    # The candidate has no restart button; the interviewer does.
    expect(cand.get_by_test_id("terminal-restart")).to_have_count(0)
    expect(host.get_by_test_id("terminal-restart")).to_be_visible()

    type_line(cand, "echo cand-says-$((20+1))")
    wait_for(lambda: "cand-says-21" in screen(host), "the candidate's echo on the host")
    type_line(host, "echo host-says-$((30+2))")
    wait_for(lambda: "host-says-32" in screen(cand), "the host's echo on the candidate")
    early = int(time.time() * 1000)
    time.sleep(1.2)

    # The candidate writes a test and runs it; both see the result.
    type_line(cand, "printf 'def test_sum():\\n    assert 1 + 1 == 2\\n' > test_sum.py")
    type_line(cand, "python3 -m pytest -q -p no:cacheprovider test_sum.py")
    wait_for(lambda: "1 passed" in screen(host), "the test run on the host", timeout=30)
    wait_for(lambda: "1 passed" in screen(cand), "the test run on the candidate", timeout=30)

    # Escape sequences only paint: no title, no clipboard, no navigation.
    title = cand.title()
    cand.evaluate("() => navigator.clipboard.writeText('before')")
    type_line(
        cand,
        "printf '\\033]0;PWNED\\007\\033]52;c;c3RvbGVu\\007"
        "\\033]8;;https://evil.example/\\007click-me\\033]8;;\\007 esc-'$((2+2))'\\n'",
    )
    try:
        wait_for(lambda: "esc-4" in screen(cand), "the escape test's output")
    except AssertionError:
        shot(cand, "failed-escape")
        raise
    link = cand.get_by_test_id("terminal").get_by_text("click-me", exact=True).bounding_box()
    assert link is not None
    cand.mouse.click(link["x"] + 5, link["y"] + link["height"] / 2)  # as a person clicks it
    time.sleep(0.5)
    assert cand.title() == title
    assert cand.evaluate("() => navigator.clipboard.readText()") == "before"
    assert cand.url.endswith(f"/rooms/{room['id']}")
    assert len(cand.context.pages) == 1
    shot(cand, "candidate")
    shot(host, "interviewer")

    # Read-only for the candidate: their keys are refused, the interviewer's still work.
    host.get_by_role("button", name="Make read-only").click()
    expect(cand.get_by_text("Read-only for the candidate", exact=True)).to_be_visible()
    type_line(cand, "echo not-allowed")
    expect(cand.get_by_text("The interviewer made the terminal read-only")).to_be_visible()
    assert "not-allowed" not in screen(host)
    shot(cand, "read-only")

    # A chat message: the replay's span ends at the timeline's last event (the terminal's own
    # output does not extend it yet, see docs/terminal.md).
    host.get_by_placeholder("Message everyone…").fill("tests pass")
    host.get_by_role("button", name="Send").click()
    time.sleep(1.0)

    # The replay: the terminal at an earlier moment holds the echoes, not the test run.
    replay = new_context().new_page()
    replay.set_default_timeout(60_000)
    sign_in(replay, lead.email)
    replay.goto(f"/rooms/{room['id']}/replay")
    expect(replay.get_by_test_id("replay")).to_be_visible(timeout=90_000)
    replay.get_by_role("tab", name="Terminal").click()
    expect(replay.get_by_test_id("terminal-replay")).to_be_visible(timeout=60_000)
    wait_for(lambda: "1 passed" in screen(replay, "terminal-replay"), "the end of the session",
             timeout=60)
    replay.evaluate(f"() => window.codepairReplay.seek({early})")
    wait_for(lambda: "1 passed" not in screen(replay, "terminal-replay")
             and "host-says-32" in screen(replay, "terminal-replay"), "the earlier moment")
    shot(replay, "replay-earlier")
    assert not host_errors and not cand_errors
