"""Questions in Chromium: an interviewer presents a question, the candidate sees the prompt and
the starter code, runs the tests, both pages show the results, and nothing the candidate's
browser receives (REST answers, web assets, socket frames) holds a hidden detail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Response, WebSocket, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_interview import editor_text, sign_in, type_in_editor, wait_for
from tests.questions.qsupport import SECRET_EXPECTED, SENTINELS, api, create_question
from tests.support.api import Actor, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]


class Received:
    """Everything one page's browser receives: response bodies and socket frames."""

    def __init__(self, page: Page) -> None:
        self.chunks: list[str] = []
        self.urls: list[str] = []
        page.on("response", self._response)
        page.on("websocket", self._socket)

    def _response(self, response: Response) -> None:
        self.urls.append(response.url)
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            return
        self.chunks.append(body.decode("utf-8", "replace"))

    def _socket(self, ws: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            self.chunks.append(text)

        ws.on("framereceived", frame)

    def leaks(self) -> list[str]:
        everything = "\n".join(self.chunks)
        return [s for s in SENTINELS if s in everything]


def test_present_run_tests_and_no_hidden_detail_reaches_the_candidate(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    owner = create_user(server, lead, name="Quinn Questions")
    question = create_question(
        server, owner,
        prompt="Read a line and print it **upper-cased**.\n\n<script>alert(1)</script>\n\n"
               "![tracker](https://example.com/pixel.png)",
    )
    with api(server) as c:
        r = c.post("/api/rooms", headers=owner.headers,
                   json={"candidate_name": "Casey", "title": "Questions",
                         "question_ids": [question["id"]]})
        assert r.status_code == 201, r.text
        room = r.json()
    assert owner.email

    interviewer = new_context().new_page()
    sign_in(interviewer, owner.email)
    interviewer.goto(f"/rooms/{room['id']}")
    interviewer.get_by_role("tab", name="Questions").click()
    expect(interviewer.get_by_test_id("plan-item")).to_have_count(1)

    cand = new_context().new_page()
    received = Received(cand)
    cand.goto(room["invite_url"])
    cand.get_by_label("Your name").fill("Casey")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_be_visible()

    # The interviewer presents: the candidate's panel opens on the prompt, the editor gets
    # the starter code.
    interviewer.get_by_test_id("plan-item").get_by_role("button", name="Present").click()
    panel = cand.get_by_test_id("questions-panel")
    expect(panel.get_by_test_id("question-title")).to_have_text("Shout it")
    expect(panel.get_by_text("upper-cased")).to_be_visible()
    expect(panel.locator("strong")).to_have_text("upper-cased")
    expect(panel.get_by_text("<script>alert(1)</script>")).to_be_visible()  # text, not a script
    expect(panel.locator("img")).to_have_count(0)
    expect(panel.get_by_text("hello", exact=True).first).to_be_visible()  # a visible test
    # The interviewer's copy knows the hidden test; the candidate's does not even count it.
    expect(interviewer.get_by_text("1 hidden test as well.")).to_be_visible()
    expect(panel.get_by_text(re.compile("hidden tests? as well"))).to_have_count(0)
    wait_for(lambda: "read a line, print it upper-cased" in editor_text(cand), "the starter code")
    screenshot(cand, "questions-candidate-presented")

    # The starter alone fails every test: the candidate sees expected against actual for the
    # visible ones and only the name of the hidden one; the interviewer sees everything.
    cand.get_by_test_id("run-tests").click()
    expect(panel.get_by_test_id("tests-summary")).to_have_text("0 of 3 tests passed")
    ipanel = interviewer.get_by_test_id("questions-panel")
    expect(ipanel.get_by_test_id("tests-summary")).to_have_text("0 of 3 tests passed")
    expect(ipanel.get_by_text(SECRET_EXPECTED).first).to_be_visible()
    expect(panel.get_by_text("HELLO").first).to_be_visible()  # a visible test's expected output
    screenshot(cand, "questions-candidate-failed")
    screenshot(interviewer, "questions-interviewer-failed")

    # The candidate solves it and runs again: both pages show every test passed.
    type_in_editor(cand, "import sys\nprint(sys.stdin.read().strip().upper())\n")
    wait_for(lambda: "upper())" in editor_text(cand), "the typed solution")
    cand.wait_for_timeout(300)
    cand.get_by_test_id("run-tests").click()
    expect(panel.get_by_test_id("tests-summary")).to_have_text("3 of 3 tests passed")
    expect(ipanel.get_by_test_id("tests-summary")).to_have_text("3 of 3 tests passed")
    screenshot(cand, "questions-candidate-passed")
    screenshot(interviewer, "questions-interviewer-passed")

    # Nothing the candidate's browser received holds a hidden detail (and it fetched no image).
    cand.reload()
    expect(cand.get_by_test_id("questions-panel").get_by_test_id("question-title")).to_have_text(
        "Shout it", timeout=30_000
    )
    assert any("/assets/" in url for url in received.urls)
    assert not [u for u in received.urls if "example.com" in u]
    assert received.leaks() == []


def test_bank_page_create_and_try(server: Server, lead: Actor, new_context: NewContext) -> None:
    me = create_user(server, lead, name="Bea Bank")
    create_question(server, me, title="Shout it from the bank")
    assert me.email
    page = new_context().new_page()
    sign_in(page, me.email)
    page.get_by_role("link", name="Questions").click()
    page.get_by_label("Search").fill("from the bank")
    expect(page.get_by_test_id("question-list")).to_contain_text("Shout it from the bank")
    page.get_by_test_id("question-list").get_by_text("Shout it from the bank").click()
    page.get_by_test_id("try-question").click()
    expect(page.get_by_test_id("tests-summary")).to_have_text("3 of 3 tests passed")
    screenshot(page, "questions-bank-try")
    page.get_by_role("button", name="← Back").click()
    page.get_by_role("button", name="New question").click()
    page.get_by_label("Title").fill("Made in the browser")
    page.get_by_role("button", name="Add a test").click()
    page.get_by_label("Expected output").fill("42\n")
    page.get_by_test_id("save-question").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    with api(server) as c:
        found = c.get("/api/questions", headers=me.headers,
                      params={"q": "Made in the browser"}).json()
    assert found["total"] == 1 and found["items"][0]["tests"][0]["expected_stdout"] == "42\n"
