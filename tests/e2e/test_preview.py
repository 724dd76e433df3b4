"""The React preview in Chromium: the room's Preview pane shows the page bundled in the
sandbox, updates after an edit made by a y-websocket client, shows a build error, and the
page can neither fetch the app's API nor read its cookies or storage, in the iframe or
opened directly in a tab."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.projects.preview_support import PAGE, PROBE, STYLED, preview_room
from tests.projects.test_project_tests_runs import call
from tests.projects.test_starter_projects import ESBUILD, PROJECTS, require_tools, solution
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import runner_env
from tests.support.api import PASSWORD, Actor, bootstrap_lead, create_room
from tests.support.server import Server

pytestmark = pytest.mark.browser

SHOTS = Path("/work/helpers/shots/starters")
REACT = PROJECTS["project-react-todo-list"][1]


@pytest.fixture(scope="module")
def server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    require_tools(("node", str(ESBUILD)))
    return server_factory(runner_env(CODEPAIR_RUNNER_COMPILE_TIME_LIMIT_SECONDS="20",
                                     CODEPAIR_RUNNER_WAIT_SECONDS="60"))


def shot(page: Page, name: str) -> None:
    if SHOTS.parent.exists():  # on the project's own machines; nowhere else
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def edit(server: Server, room_id: str, actor: Actor, files: dict[str, str]) -> None:
    """Set files of the room's tree from a Node y-websocket client, and wait until a second
    client sees them (the hub has them)."""

    async def go() -> None:
        node = await NodeClients.start()
        try:
            await node.connect("editor", server.ws_url, room_id, "code", actor.token)
            await node.call("setFiles", client="editor", files=files)
            await node.connect("check", server.ws_url, room_id, "code", actor.token)
            assert (await node.call("waitFiles", client="check", files=files))["ok"]
        finally:
            await node.close()

    # Playwright's sync API holds this thread's event loop: the Node clients get their own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result(timeout=60)


def sign_in(page: Page, actor: Actor) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(actor.email or "")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()


@pytest.mark.timeout(240)
def test_the_react_preview_updates_on_edit_and_cannot_reach_the_app(
    server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    lead = bootstrap_lead(server)
    room = preview_room(server, lead)
    page = new_context().new_page()
    sign_in(page, lead)
    page.goto(f"/rooms/{room['id']}")
    toggle = page.get_by_role("button", name="Preview")
    expect(toggle).to_be_visible(timeout=30_000)
    # The click starts the iframe's load: do not wait for it as for a navigation.
    toggle.click(no_wait_after=True)
    frame = page.frame_locator('iframe[title="Project preview"]')
    expect(frame.locator("#greeting")).to_have_text("Hello, preview v1", timeout=30_000)
    # The page tried the app's API and its storage, and wrote what happened.
    expect(frame.locator("#net")).to_have_text("fetch: blocked")
    expect(frame.locator("#storage")).to_have_text("storage: blocked")
    iframe = page.locator('iframe[title="Project preview"]')
    expect(iframe).to_have_attribute("sandbox", "allow-scripts")
    shot(page, "preview-v1")

    # Another participant's editor changes a component: the pane rebuilds and shows it.
    edit(server, room["id"], lead, {
        "src/Greeting.tsx": PAGE["src/Greeting.tsx"].replace("v1", "v2"),
    })
    expect(frame.locator("#greeting")).to_have_text("Hello, preview v2", timeout=30_000)
    shot(page, "preview-v2-after-edit")

    # A syntax error: esbuild's words over the last page that built.
    edit(server, room["id"], lead, {"src/Greeting.tsx": "export const = ;\n"})
    error = page.get_by_test_id("preview-error")
    expect(error).to_contain_text("src/Greeting.tsx", timeout=30_000)
    expect(frame.locator("#greeting")).to_have_text("Hello, preview v2")
    shot(page, "preview-build-error")

    # Fixed again: the error goes, the page is back.
    edit(server, room["id"], lead, {
        "src/Greeting.tsx": PAGE["src/Greeting.tsx"].replace("v1", "v3"),
    })
    expect(frame.locator("#greeting")).to_have_text("Hello, preview v3", timeout=30_000)
    expect(error).to_have_count(0)

    # Opened directly in a tab, the page is still sandboxed: an opaque origin, no API.
    href = page.get_by_role("link", name="Open in a tab").get_attribute("href")
    assert href
    tab = page.context.new_page()
    tab.goto(href)
    expect(tab.locator("#greeting")).to_have_text("Hello, preview v3")
    expect(tab.locator("#net")).to_have_text("fetch: blocked")
    expect(tab.locator("#storage")).to_have_text("storage: blocked")
    assert tab.evaluate("window.origin") == "null"
    # Blocked before it left the browser: the server never saw the page's request.
    assert PROBE not in server.log_path.read_text()
    shot(tab, "preview-opened-in-a-tab")


@pytest.mark.timeout(120)
def test_css_a_component_imports_styles_the_page(
    server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    lead = bootstrap_lead(server)
    room = preview_room(server, lead, files=STYLED)
    built = call(server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
    assert built["status"] == "ok", built
    page = new_context().new_page()
    page.goto(built["url"])
    greeting = page.locator("#greeting")
    expect(greeting).to_have_text("Hello, preview v1")
    # The component's imported rule, from the bundle's stylesheet...
    expect(greeting).to_have_css("border-bottom-width", "5px")
    expect(greeting).to_have_css("border-bottom-color", "rgb(0, 128, 0)")
    # ...beside the page's own stylesheet (rebeccapurple).
    expect(greeting).to_have_css("color", "rgb(102, 51, 153)")


@pytest.mark.timeout(300)
def test_the_react_starter_project_in_the_room(
    server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    """The bank's React starter, as an interviewer sees it: presented, its preview, its tests
    failing, then the reference solution typed in and every test passing."""
    require_tools(REACT)
    server.cli("questions", "starter")
    lead = bootstrap_lead(server)
    found = call(server, lead, "GET", "/api/questions", params={"limit": 100}).json()
    qid = next(q["id"] for q in found["items"] if q["slug"] == "project-react-todo-list")
    room = create_room(server, lead, language="typescript")
    rq = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": qid}).json()
    call(server, lead, "POST", f"/api/rooms/{room['id']}/questions/{rq['id']}/present")

    page = new_context().new_page()
    sign_in(page, lead)
    page.goto(f"/rooms/{room['id']}")
    toggle = page.get_by_role("button", name="Preview")
    expect(toggle).to_be_visible(timeout=30_000)
    toggle.click(no_wait_after=True)
    frame = page.frame_locator('iframe[title="Project preview"]')
    expect(frame.get_by_text("TODO: render the list")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Questions").click()
    page.get_by_test_id("run-tests").click()
    summary = page.get_by_test_id("tests-summary")
    expect(summary).to_contain_text("of 4 tests passed", timeout=60_000)
    expect(summary).not_to_contain_text("4 of 4")
    shot(page, "react-starter-failing")

    edit(server, room["id"], lead, solution("project-react-todo-list"))
    expect(frame.locator("li.done")).to_have_text("Read the brief", timeout=30_000)
    expect(frame.locator(".remaining")).to_have_text("2 left")
    page.get_by_test_id("run-tests").click()
    expect(summary).to_have_text("4 of 4 tests passed", timeout=60_000)
    shot(page, "react-starter-solved")
