"""The whiteboard in two real browsers: an interviewer and a candidate draw on one board."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import console_errors, screenshot
from tests.support.api import PASSWORD, Actor, create_room
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def open_board(page: Page) -> None:
    page.get_by_role("tab", name="Board").click()
    expect(page.locator(".excalidraw canvas.interactive")).to_be_visible()


def elements(page: Page) -> int:
    return int(page.get_by_test_id("board-panel").get_attribute("data-elements") or 0)


def draw(page: Page, tool: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Pick a tool from Excalidraw's toolbar and drag on the canvas (viewport coordinates)."""
    page.get_by_test_id(f"toolbar-{tool}").click(force=True)
    page.mouse.move(*start)
    page.mouse.down()
    steps = 8
    for i in range(1, steps + 1):
        page.mouse.move(
            start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps
        )
    page.mouse.up()


def test_two_people_draw_on_one_board(server: Server, lead: Actor, new_context: NewContext) -> None:
    room = create_room(server, lead, candidate_name="Cody")
    host = new_context().new_page()
    host_errors = console_errors(host)
    board_requests: list[str] = []
    host.on("websocket", lambda ws: board_requests.append(ws.url))
    assert lead.email
    sign_in(host, lead.email)
    host.goto(f"/rooms/{room['id']}")
    expect(host.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    time.sleep(0.5)
    # The board's socket opens with the tab, not with the room.
    assert not [u for u in board_requests if "/yjs/board" in u]
    open_board(host)
    wait_for(lambda: [u for u in board_requests if "/yjs/board" in u], "the board socket")

    cand = new_context().new_page()
    cand_errors = console_errors(cand)
    cand.goto(room["invite_url"])
    cand.get_by_label("Your name").fill("Cody")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))
    open_board(cand)

    draw(host, "rectangle", (300, 250), (520, 380))
    draw(host, "arrow", (540, 320), (700, 320))
    draw(cand, "ellipse", (760, 250), (940, 400))
    draw(cand, "freedraw", (320, 520), (620, 600))
    wait_for(lambda: elements(host) == 4 and elements(cand) == 4, "both boards with 4 shapes")

    # Each sees the other's pointer (with their name, drawn by Excalidraw on the canvas).
    host.mouse.move(450, 470)
    cand.mouse.move(850, 480)
    for _ in range(5):
        host.mouse.move(460 + _ * 4, 470)
        cand.mouse.move(860 + _ * 4, 480)
        time.sleep(0.1)
    wait_for(
        lambda: (
            host.get_by_test_id("board-panel").get_attribute("data-pointers") == "1"
            and cand.get_by_test_id("board-panel").get_attribute("data-pointers") == "1"
        ),
        "each other's pointer",
    )
    time.sleep(0.5)
    screenshot(host, "board-host")
    screenshot(cand, "board-candidate")

    # A deletion reaches the other side (Excalidraw marks the element deleted).
    host.get_by_test_id("toolbar-selection").click(force=True)
    host.mouse.click(300, 315)  # the rectangle's left edge
    host.keyboard.press("Delete")
    wait_for(lambda: elements(host) == 3 and elements(cand) == 3, "the deletion on both boards")

    # A reload keeps the board (from the server: the host's page starts empty).
    host.reload()
    expect(host.locator("[data-testid=code-editor] .view-lines")).to_be_visible()
    open_board(host)
    wait_for(lambda: elements(host) == 3, "the board after a reload")
    time.sleep(0.5)
    screenshot(host, "board-after-reload")
    assert not host_errors and not cand_errors, (host_errors, cand_errors)


def test_the_replay_shows_the_board_at_an_earlier_moment(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    room = create_room(server, lead, candidate_name="Cody")
    page = new_context().new_page()
    errors = console_errors(page)
    assert lead.email
    sign_in(page, lead.email)
    page.goto(f"/rooms/{room['id']}")
    open_board(page)
    draw(page, "rectangle", (300, 250), (520, 380))
    wait_for(lambda: elements(page) == 1, "the first shape")
    time.sleep(1.5)  # the log's group commit, and a moment between the two shapes
    between = int(time.time() * 1000)
    time.sleep(1.5)
    draw(page, "ellipse", (700, 250), (900, 400))
    wait_for(lambda: elements(page) == 2, "the second shape")
    time.sleep(1.0)
    with httpx.Client(base_url=server.url) as http:
        r = http.post(f"/api/rooms/{room['id']}/end", headers=lead.headers)
        assert r.status_code == 200, r.text

    page.goto(f"/rooms/{room['id']}/replay")
    expect(page.get_by_test_id("replay")).to_be_visible()
    page.get_by_role("tab", name="Board").click()
    board = page.get_by_test_id("replay-board")
    expect(board).to_have_attribute("data-elements", "2")  # opens at the end
    screenshot(page, "board-replay-end")
    page.evaluate(f"() => window.codepairReplay.seek({between})")
    expect(board).to_have_attribute("data-elements", "1")
    time.sleep(0.5)
    screenshot(page, "board-replay-earlier")
    assert not errors, errors
