"""A room as a project in Chromium: the candidate creates a folder and two files (one imports
the other), runs the tree and the tests of a presented project question; the interviewer sees
the tree, who has which file open, and follows the candidate's open file; after the end the
replay shows the tree as it was at an earlier moment."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import VIEWPORT, screenshot
from tests.e2e.test_interview import editor_text, sign_in, wait_for
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import runner_env
from tests.support.api import Actor, bootstrap_lead
from tests.support.server import Server, create_pg_database, db_backend

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

NewContext = Callable[[], BrowserContext]
SHOTS = Path("/work/helpers/shots/ide")

QUESTION = {
    "title": "Sum it up",
    "prompt": "Write `calc/ops.py` with `add(a, b)` and `calc/show.py` that prints a sum.",
    "entry": "main.py",
    "files": {
        "main.py": "from calc.show import show\nprint(show(2, 3))\n",
        "tests/test_ops.py": (
            "from calc.ops import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
        ),
    },
    "hidden_files": {
        "tests/test_show.py": (
            "from calc.show import show\n\ndef test_show():\n    assert show(1, 1) == '1+1=2'\n"
        ),
    },
    "test_command": "python3 -m pytest -q -p no:cacheprovider --junitxml=$CODEPAIR_JUNIT_XML tests",
}


SHOW_PY = (
    "from calc.ops import add\ndef show(a, b): return str(a) + '+' + str(b) + '=' + str(add(a, b))"
)


@pytest.fixture(scope="module")
def run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that runs code; started here, with room to start on a busy machine."""
    require_bwrap()
    database_url = create_pg_database() if db_backend() == "postgres" else ""
    server = Server(
        data_dir=tmp_path_factory.mktemp("projects"),
        env_overrides=runner_env(CODEPAIR_RUNNER_TIME_LIMIT_SECONDS="10"),
        database_url=database_url,
    )
    server.start(timeout=120)
    yield server
    server.stop()


@pytest.fixture
def new_context(browser: Browser, run_server: Server) -> Iterator[NewContext]:
    """Browser contexts on the runs' server (the shared fixture's are on the default one)."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(
            base_url=run_server.url, viewport=VIEWPORT, permissions=["camera", "microphone"]
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    screenshot(page, f"projects-{name}")


def call(server: Server, actor: Actor, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=actor.headers, timeout=60, **kw)


def tree_row(page: Page, path: str) -> Any:
    return page.locator(f"[data-testid=file-tree] [data-path='{path}']")


def new_entry(page: Page, button: str, name: str) -> None:
    page.get_by_test_id(button).click()
    field = page.get_by_test_id("tree-name-input")
    field.fill(name)
    field.press("Enter")


def type_code(page: Page, text: str) -> None:
    """Type into the file in front, a line at a time (Escape first: Enter must not take a
    suggestion)."""
    page.locator("[data-testid=code-editor] .view-lines").click()
    page.keyboard.press("Control+End")
    for line in text.splitlines():
        page.keyboard.type(line)
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")


def test_a_project_in_the_browser(run_server: Server, new_context: NewContext) -> None:
    server = run_server
    lead = bootstrap_lead(server)
    created = call(server, lead, "POST", "/api/questions", json=QUESTION)
    assert created.status_code == 201, created.text
    answer = call(
        server,
        lead,
        "POST",
        "/api/rooms",
        json={
            "candidate_name": "Casey",
            "title": "Projects",
            "language": "python",
            "question_ids": [created.json()["id"]],
        },
    )
    assert answer.status_code == 201, answer.text
    room = answer.json()
    assert lead.email

    interviewer = new_context().new_page()
    errors: list[str] = []
    interviewer.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(interviewer, lead.email)
    interviewer.goto(f"/rooms/{room['id']}")
    expect(interviewer.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    # A one-file room: no tree, no tabs.
    expect(interviewer.get_by_test_id("file-tree")).to_have_count(0)
    expect(interviewer.get_by_test_id("editor-tab")).to_have_count(0)
    shot(interviewer, "01-one-file-room")

    cand = new_context().new_page()
    cand.on("pageerror", lambda exc: errors.append(str(exc)))
    cand.goto(room["invite_url"])
    cand.get_by_label("Your name").fill("Casey")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    expect(cand.locator("[data-testid=code-editor] .view-lines")).to_be_visible()

    # The interviewer presents the project question: its starter tree is the room's.
    listed = call(server, lead, "GET", f"/api/rooms/{room['id']}/questions").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    presented = call(
        server, lead, "POST", f"/api/rooms/{room['id']}/questions/{items[0]['id']}/present"
    )
    assert presented.status_code == 200, presented.text
    expect(tree_row(cand, "tests/test_ops.py")).to_be_visible()
    expect(tree_row(cand, "main.py")).to_be_visible()
    t_starter = time.time()
    time.sleep(1.2)

    # The candidate makes a folder and two files in it; show.py imports ops.py.
    new_entry(cand, "new-folder", "calc")
    expect(
        cand.locator("[data-testid=file-tree] [data-testid=tree-folder][data-path=calc]")
    ).to_be_visible()
    tree_row(cand, "calc").hover()
    cand.get_by_role("button", name="New file in calc").click()
    field = cand.get_by_test_id("tree-name-input")
    field.fill("ops.py")
    field.press("Enter")
    expect(cand.locator("[data-testid=editor-tab][data-path='calc/ops.py']")).to_have_attribute(
        "aria-selected", "true"
    )
    type_code(cand, "def add(a, b): return a + b")
    tree_row(cand, "calc").hover()
    cand.get_by_role("button", name="New file in calc").click()
    field = cand.get_by_test_id("tree-name-input")
    field.fill("show.py")
    field.press("Enter")
    type_code(cand, SHOW_PY)
    wait_for(lambda: "str(add(a, b))" in editor_text(cand), "show.py typed")

    # The interviewer sees the tree, and who has which file open.
    expect(tree_row(interviewer, "calc/show.py")).to_be_visible()
    expect(tree_row(interviewer, "calc/show.py").get_by_test_id("tree-viewers")).to_be_visible()
    # Following the candidate brings their open file to the front, and keeps it there.
    picker = interviewer.get_by_test_id("follow-picker")
    casey = picker.locator("option", has_text="Casey").get_attribute("value")
    assert casey
    picker.select_option(value=casey)
    expect(interviewer.get_by_test_id("code-editor")).to_have_attribute(
        "data-active-file", "calc/show.py"
    )
    wait_for(lambda: "str(add(a, b))" in editor_text(interviewer), "the followed file's text")
    tree_row(cand, "calc/ops.py").click()
    expect(interviewer.get_by_test_id("code-editor")).to_have_attribute(
        "data-active-file", "calc/ops.py"
    )
    wait_for(lambda: "return a + b" in editor_text(interviewer), "ops.py, followed")
    shot(interviewer, "02-interviewer-follows-candidate")
    shot(cand, "03-candidate-tree")

    # The candidate runs the tree: main.py imports calc.show, which imports calc.ops.
    cand.get_by_role("button", name="▶ Run").click()
    expect(cand.get_by_test_id("run-output")).to_contain_text("2+3=5", timeout=45_000)
    # And the question's tests (one visible, one hidden) pass.
    cand.get_by_role("tab", name="Questions").click()
    panel = cand.get_by_test_id("questions-panel")
    panel.get_by_test_id("run-tests").click()
    expect(panel.get_by_test_id("tests-summary")).to_have_text(
        "2 of 2 tests passed", timeout=45_000
    )
    shot(cand, "04-candidate-ran-tree-and-tests")

    # Renaming a file in the tree: everyone's tree and tabs follow.
    tree_row(cand, "calc/ops.py").hover()
    cand.get_by_role("button", name="Rename calc/ops.py").click()
    field = cand.get_by_test_id("tree-name-input")
    field.fill("calc/ops_renamed.py")
    field.press("Enter")
    expect(tree_row(interviewer, "calc/ops_renamed.py")).to_be_visible()
    expect(tree_row(interviewer, "calc/ops.py")).to_have_count(0)
    time.sleep(1.0)  # past the recorder's and the log's group commit

    # The end, then the replay at the moment after the starter: no calc folder yet.
    assert call(server, lead, "POST", f"/api/rooms/{room['id']}/end").status_code == 200
    interviewer.goto(f"/rooms/{room['id']}/replay")
    expect(interviewer.get_by_test_id("replay-tree")).to_be_visible()
    expect(
        interviewer.locator("[data-testid=replay-tree-file][data-path='calc/ops_renamed.py']")
    ).to_be_visible()
    shot(interviewer, "05-replay-at-end")
    # To the millisecond: a moment floored to its second may come before the starter arrived.
    millis = int(t_starter * 1000) % 1000
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_starter)) + f".{millis:03d}Z"
    interviewer.goto(f"/rooms/{room['id']}/replay?t={moment}")
    tree = interviewer.get_by_test_id("replay-tree")
    expect(tree.locator("[data-path='tests/test_ops.py']")).to_be_visible()
    expect(tree.locator("[data-path='calc/show.py']")).to_have_count(0)
    expect(tree.locator("[data-path='main.py']")).to_be_visible()
    tree.locator("[data-path='tests/test_ops.py']").click()
    expect(interviewer.get_by_test_id("replay-file")).to_contain_text("assert add(2, 3) == 5")
    shot(interviewer, "06-replay-earlier-moment")
    assert errors == []
