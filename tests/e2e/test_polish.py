"""What a walk-through of a whole interview found, in Chromium: questions planned from the room
dialogs, a room nobody joined is not live, the replay says a tests run's pass count, the room's
hints and notices read whole, and a remote caret's name does not sit over the line above."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_interview import editor_text, sign_in, type_in_editor, wait_for
from tests.questions.qsupport import api, create_question
from tests.support.api import Actor, create_user, join
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]


def plan_titles(server: Server, actor: Actor, room_id: str) -> list[str]:
    with api(server) as c:
        items = c.get(f"/api/rooms/{room_id}/questions", headers=actor.headers).json()["items"]
    return [q["title"] for q in sorted(items, key=lambda q: q["position"])]


def test_room_dialogs_plan_questions_and_a_room_starts_when_the_candidate_joins(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    owner = create_user(server, lead, name="Pia Picker")
    for title in ("Picker: two sum", "Picker: reverse words", "Picker: balanced brackets"):
        create_question(server, owner, title=title)
    assert owner.email
    page = new_context().new_page()
    sign_in(page, owner.email)

    # New interview: search the bank, pick two, put the second first.
    page.get_by_role("button", name="New interview").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Candidate name").fill("Nora Notstarted")
    dialog.get_by_label("Search the question bank").fill("Picker:")
    dialog.get_by_role("button", name="Add Picker: two sum").click()
    dialog.get_by_role("button", name="Add Picker: balanced brackets").click()
    expect(dialog.get_by_role("button", name="Add Picker: two sum")).to_have_count(0)
    dialog.get_by_role("button", name="Move Picker: balanced brackets up").click()
    expect(dialog.get_by_test_id("picked-question")).to_have_count(2)
    expect(dialog.get_by_test_id("picked-question").first).to_contain_text("balanced brackets")
    screenshot(page, "polish-new-interview-questions")
    dialog.get_by_role("button", name="Create interview").click()
    expect(page.get_by_test_id("invite-url")).to_be_visible()
    with api(server) as c:
        room = c.get("/api/rooms", headers=owner.headers,
                     params={"q": "Nora Notstarted"}).json()["items"][0]
    assert plan_titles(server, owner, room["id"]) == [
        "Picker: balanced brackets", "Picker: two sum"
    ]

    # Nobody has joined: not started, nothing to replay.
    nora = page.get_by_role("row", name=re.compile("Nora Notstarted"))
    expect(nora.get_by_text("Not started", exact=True)).to_be_visible()
    expect(nora.get_by_text("Live", exact=True)).to_have_count(0)
    expect(nora.get_by_role("link", name=re.compile("^Replay"))).to_have_count(0)
    screenshot(page, "polish-dashboard-not-started")

    # Edit: the plan is there in order; drop one, add another.
    page.get_by_role("button", name="Edit interview with Nora Notstarted").click()
    dialog = page.get_by_role("dialog")
    picked = dialog.get_by_test_id("picked-question")
    expect(picked).to_have_count(2)
    expect(picked.first).to_contain_text("balanced brackets")
    dialog.get_by_role("button", name="Remove Picker: two sum").click()
    dialog.get_by_label("Search the question bank").fill("reverse")
    dialog.get_by_role("button", name="Add Picker: reverse words").click()
    screenshot(page, "polish-edit-interview-questions")
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_for(
        lambda: plan_titles(server, owner, room["id"])
        == ["Picker: balanced brackets", "Picker: reverse words"],
        "the edited plan",
    )

    # The candidate joins: the room is live and has a replay.
    join(server, room, name="Nora Notstarted")
    page.reload()
    nora = page.get_by_role("row", name=re.compile("Nora Notstarted"))
    expect(nora.get_by_text("Live", exact=True)).to_be_visible()
    expect(nora.get_by_role("link", name="Replay interview with Nora Notstarted")).to_be_visible()


def test_room_hints_cursor_names_and_the_replay_of_a_tests_run(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    owner = create_user(server, lead, name="Hugo Hints")
    question = create_question(server, owner, title="Hints: shout it")
    with api(server) as c:
        r = c.post("/api/rooms", headers=owner.headers,
                   json={"candidate_name": "Cody", "question_ids": [question["id"]]})
        assert r.status_code == 201, r.text
        room = r.json()
    assert owner.email

    host = new_context().new_page()
    sign_in(host, owner.email)

    # An empty search of the bank: the hint's command is code, not backticks.
    host.get_by_role("link", name="Questions").click()
    host.get_by_label("Search").fill("nothing is called this")
    hint = host.get_by_text("import a folder with")
    expect(hint.locator("code")).to_have_text("codepair questions import DIR")
    expect(hint).not_to_contain_text("`")

    # A question is planned: the panel says to present it, not to add one.
    host.goto(f"/rooms/{room['id']}")
    host.get_by_role("tab", name="Questions").click()
    expect(host.get_by_test_id("no-question")).to_have_text(
        "Present a question from the plan when you are ready."
    )

    cand_ctx = new_context()
    cand = cand_ctx.new_page()
    cand.goto(room["invite_url"])
    cand.get_by_label("Your name").fill("Cody")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_be_visible()

    # The candidate's notice about pastes reads whole in the header.
    notice = cand.get_by_test_id("recording-notice")
    expect(notice).to_be_visible()
    assert notice.evaluate("el => el.scrollWidth <= el.clientWidth"), "the notice is cut off"
    screenshot(cand, "polish-candidate-notice")

    # The candidate types and pastes: the interviewer's line about it reads whole.
    type_in_editor(host, "line one\nline two\n")
    wait_for(lambda: "line two" in editor_text(cand), "the host's lines on the candidate")
    pasted = "def helper(xs):\n    return [x * 2 for x in xs]\n"
    cand.evaluate("(text) => navigator.clipboard.writeText(text)", pasted)
    cand.locator("[data-testid=code-editor] .view-lines").click()
    cand.keyboard.press("Control+End")
    cand.keyboard.press("Control+V")
    indicator = host.get_by_test_id("activity-indicator")
    expect(indicator).to_contain_text(
        f"Cody pasted {len(pasted)} characters from outside the editor"
    )
    assert indicator.evaluate("el => el.scrollWidth <= el.clientWidth"), "the paste line is cut off"
    screenshot(host, "polish-interviewer-paste")

    # The candidate's caret on the host's page: a dot in their colour, the name on hover only.
    head = host.locator("[data-testid=code-editor] .yRemoteSelectionHead").first
    expect(head).to_be_attached()
    name_flag = "el => getComputedStyle(el, '::after')"
    wait_for(lambda: "Cody" in head.evaluate(f"{name_flag}.content"), "the caret's name")
    assert head.evaluate(f"{name_flag}.opacity") == "0", "the name covers the line above"
    screenshot(host, "polish-cursor-idle")

    def name_on_hover() -> bool:
        # Monaco redraws decorations (a remote caret is one) as awareness changes, and a new
        # element under a still pointer is not hovered until the pointer moves: hover again.
        head.hover(force=True)
        return bool(head.evaluate(f"{name_flag}.opacity") == "1")

    wait_for(name_on_hover, "the name on hover")
    screenshot(host, "polish-cursor-hover")

    # A tests run that passes none: the replay's event list says so.
    with api(server) as c:
        rq = c.get(f"/api/rooms/{room['id']}/questions", headers=owner.headers).json()["items"][0]
        c.post(f"/api/rooms/{room['id']}/questions/{rq['id']}/present", headers=owner.headers,
               json={"replace_code": True}).raise_for_status()
        run = c.post(f"/api/rooms/{room['id']}/runs", headers=owner.headers,
                     json={"tests": True, "code": "print('nope')"})
        assert run.status_code == 201, run.text
        c.post(f"/api/rooms/{room['id']}/end", headers=owner.headers).raise_for_status()
    host.goto(f"/rooms/{room['id']}/replay")
    host.get_by_role("tab", name="events").click()
    events = host.get_by_test_id("replay-events")
    expect(events).to_contain_text("Hugo Hints ran the tests (python): 0 of 3 tests passed")
    expect(events).to_contain_text("Cody pasted")
    expect(events).not_to_contain_text("ran the code")
    screenshot(host, "polish-replay-tests-run")
