"""The AI assistant in Chromium: the candidate is told on the join page, asks in the pane,
the answer streams in, the interviewer sees it live and asks privately; the replay shows the
conversation. Screenshots go to /work/helpers/shots/ai/ (and artifacts/)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.ai.conftest import ai_env, model_server, proxy  # noqa: F401 (fixtures)
from tests.ai.proxy import RecordingProxy
from tests.conftest import ServerFactory
from tests.e2e.conftest import VIEWPORT, screenshot
from tests.e2e.test_interview import sign_in
from tests.support.api import Actor, bootstrap_lead, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser
SHOTS = Path("/work/helpers/shots/ai")


def shot(page: Page, name: str) -> None:
    screenshot(page, f"ai-{name}")
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def ai_site(server_factory: ServerFactory, proxy: RecordingProxy) -> Server:  # noqa: F811
    return server_factory(ai_env(proxy.url, CODEPAIR_AI_MAX_TOKENS="48"))


@pytest.fixture
def contexts(browser: Browser, ai_site: Server) -> Iterator[Callable[[], BrowserContext]]:
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        ctx = browser.new_context(base_url=ai_site.url, viewport=VIEWPORT,
                                  permissions=["camera", "microphone"])
        ctx.set_default_timeout(30_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def test_candidate_asks_interviewer_watches_replay_shows(
    ai_site: Server, contexts: Callable[[], BrowserContext]
) -> None:
    lead = bootstrap_lead(ai_site)
    owner: Actor = create_user(ai_site, lead, name="Olga Owner")
    room = create_room(ai_site, owner, ai_assistant="on",
                       ai_prompt="Explain, don't hand over full solutions.")
    host = contexts().new_page()
    sign_in(host, owner.email or "")
    host.goto(f"/rooms/{room['id']}")
    host.get_by_role("tab", name="AI").click()
    expect(host.get_by_test_id("ai-notice")).to_contain_text("candidate's conversation")

    cand = contexts().new_page()
    cand.goto(room["invite_url"])
    expect(cand.get_by_test_id("join-ai-notice")).to_contain_text("Your interviewers see")
    cand.get_by_label("Your name").fill("Cody")
    shot(cand, "01-join-notice")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    cand.get_by_role("tab", name="AI").click()
    expect(cand.get_by_test_id("ai-notice")).to_contain_text("Your interviewers see")
    cand.get_by_label("Question for the AI assistant").fill(
        "How do I reverse a list in Python? Show a code block."
    )
    cand.get_by_role("button", name="Ask").click()
    expect(cand.get_by_test_id("ai-question")).to_contain_text("reverse a list")
    # The answer arrives (streamed) on both screens, the same text.
    expect(cand.get_by_test_id("ai-answer")).to_be_visible(timeout=120_000)
    expect(host.get_by_test_id("ai-answer")).to_be_visible(timeout=30_000)
    answer = cand.get_by_test_id("ai-answer").inner_text()
    assert host.get_by_test_id("ai-answer").inner_text() == answer
    shot(cand, "02-candidate-answer")
    shot(host, "03-interviewer-sees-it")

    # A private question: the interviewer sees it, the candidate never does.
    host.get_by_label("Question for the AI assistant").fill("PRIVATE: what does this code do?")
    host.get_by_role("button", name="Ask").click()
    expect(host.get_by_test_id("ai-answer")).to_have_count(2, timeout=120_000)
    shot(host, "04-interviewer-private")
    expect(cand.get_by_test_id("ai-question")).to_have_count(1)
    assert "PRIVATE" not in cand.get_by_test_id("ai-messages").inner_text()

    # The replay's AI tab shows the conversation at the playhead.
    host.goto(f"/rooms/{room['id']}/replay")
    host.get_by_role("tab", name="ai").click()
    expect(host.get_by_test_id("replay-ai-list")).to_contain_text("reverse a list")
    shot(host, "05-replay")
