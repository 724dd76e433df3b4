"""A take-home in Chromium: the owner creates one from the dashboard; the candidate reads the
rules (no question on the page), starts the clock, solves, runs the tests and submits; the
owner sees the graded result on the dashboard, sorted by score, and opens the replay.

Screenshots go to /work/helpers/shots/takehome/ (or $CODEPAIR_SHOTS) for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.test_interview import sign_in, type_in_editor, wait_for
from tests.questions.qsupport import SENTINELS, api, create_question
from tests.support.api import Actor, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]
SHOTS = Path(os.environ.get("CODEPAIR_SHOTS", "/work/helpers/shots/takehome"))
SOLUTION = "import sys\nprint(sys.stdin.read().strip().upper())\n"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_candidate_starts_solves_submits_and_the_owner_sees_the_grade(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    owner = create_user(server, lead, name="Tara Takehome")
    create_question(server, owner, title="Shout it back",
                    prompt="Read a line and print it **upper-cased**.",
                    starters={"python": "# read a line, print it upper-cased\n"})
    assert owner.email

    # The owner creates the take-home from the dashboard.
    page = new_context().new_page()
    sign_in(page, owner.email)
    page.get_by_test_id("new-take-home").click()
    dialog = page.get_by_role("dialog", name="New take-home")
    dialog.get_by_label("Candidate", exact=True).fill("Sam Screen")
    dialog.get_by_label("Title").fill("Strings screen")
    dialog.get_by_label("Time limit (minutes)").fill("45")
    dialog.get_by_label("Search the question bank").fill("Shout")
    dialog.get_by_role("button", name="Add Shout it back").click()
    expect(dialog.get_by_test_id("picked-question")).to_have_count(1)
    shot(page, "01-new-take-home")
    dialog.get_by_role("button", name="Create and invite").click()
    row = page.get_by_test_id("take-home-row").filter(has_text="Sam Screen")
    expect(row).to_contain_text("Not started")
    shot(page, "02-dashboard-not-started")

    with api(server) as c:
        items = c.get("/api/take-homes", headers=owner.headers).json()["items"]
    [item] = [i for i in items if i["candidate_name"] == "Sam Screen"]
    invite_url = item["invite_url"]

    # The candidate: the rules, the limit, what is recorded; nothing of the question.
    cand = new_context().new_page()
    cand.goto(invite_url)
    rules = cand.get_by_test_id("take-home-rules")
    expect(rules).to_contain_text("What is recorded")
    expect(cand.get_by_test_id("time-limit")).to_have_text("45:00")
    content = cand.content()
    assert "Shout it back" not in content and "upper-cased" not in content
    shot(cand, "03-start-page")
    cand.get_by_test_id("start-take-home").click()
    cand.get_by_role("button", name="Start now").click()
    expect(cand.get_by_test_id("take-home-room")).to_be_visible()
    expect(cand.get_by_test_id("take-home-clock")).to_contain_text(re.compile(r"4[45]:\d\d left"))
    expect(cand.get_by_test_id("questions-panel")).to_contain_text("upper-cased")
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_contain_text("read a line")
    type_in_editor(cand, "\n" + SOLUTION)
    cand.get_by_role("button", name="Run tests").click()
    expect(cand.get_by_test_id("questions-panel")).to_contain_text(re.compile(r"3 of 3|3/3"))
    shot(cand, "04-room-tests-passed")
    cand.get_by_test_id("submit-take-home").click()
    shot(cand, "05-submit-confirmation")
    cand.get_by_role("button", name="Submit now").click()
    expect(cand.get_by_test_id("take-home-closed")).to_contain_text("submitted")
    shot(cand, "06-submitted")
    # Reopening the link says it was submitted.
    cand.goto(invite_url)
    expect(cand.get_by_test_id("take-home-closed")).to_contain_text("submitted")
    assert not any(s in cand.content() for s in SENTINELS)

    # The owner: the graded result (hidden test included), best score first; the replay.
    page.get_by_label("Sort take-homes").select_option("score")
    wait_for(lambda: "3/3" in row.inner_text(), "the grade on the dashboard", timeout=60)
    expect(row).to_contain_text("Submitted")
    expect(row.get_by_test_id("take-home-score")).to_contain_text("100%")
    row.scroll_into_view_if_needed()
    shot(page, "07-dashboard-graded")
    row.get_by_test_id("take-home-replay").click()
    expect(page).to_have_url(re.compile(r"/replay$"))
    expect(page.get_by_test_id("replay-editor")).to_contain_text("print(sys.stdin.read()")
    expect(page.get_by_test_id("replay")).to_be_visible(timeout=60_000)  # the whole record
    shot(page, "08-replay")
