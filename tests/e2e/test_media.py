"""A candidate who blocks camera and microphone still gets a working room, and still sees video."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.test_interview import frames_decoded, sign_in, wait_for
from tests.support.api import Actor, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

DENY_MEDIA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


def test_denied_media_keeps_the_room_working(
    server: Server, lead: Actor, new_context: Callable[[], BrowserContext]
) -> None:
    interviewer = create_user(server, lead, name="Vera Video")
    room = create_room(server, interviewer, candidate_name="Noel Nocam")
    assert interviewer.email

    host = new_context().new_page()
    sign_in(host, interviewer.email)
    host.goto(f"/rooms/{room['id']}")
    expect(host.get_by_test_id("connection")).to_have_attribute("data-online", "true")

    cand_ctx = new_context()
    cand_ctx.add_init_script(DENY_MEDIA)
    cand = cand_ctx.new_page()
    cand.goto(f"/join/{room['invite_token']}")
    expect(cand.get_by_role("status").filter(has_text="access is blocked")).to_be_visible()
    cand.get_by_label("Your name").fill("Noel")
    cand.get_by_role("button", name="Join interview").click()
    cand.wait_for_url(re.compile(rf"/rooms/{room['id']}$"))

    expect(cand.get_by_test_id("media-problem")).to_contain_text("blocked")
    expect(cand.get_by_test_id("connection")).to_have_attribute("data-online", "true")
    for page in (host, cand):
        expect(
            page.locator("[data-testid=remote-tile][data-connection-state=connected]")
        ).to_have_count(1)
    # The candidate sends nothing but still receives the interviewer's camera.
    wait_for(lambda: frames_decoded(cand) > 0, "the interviewer's video on the candidate")
    expect(
        cand.get_by_role("button", name="Unmute microphone").or_(
            cand.get_by_role("button", name="Mute microphone")
        )
    ).to_be_disabled()

    # An ICE restart (what a network change triggers) renegotiates without dropping video.
    before = frames_decoded(cand)
    host.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_for(lambda: frames_decoded(cand) > before + 10, "video flowing after the ICE restart")
    expect(
        cand.locator("[data-testid=remote-tile][data-connection-state=connected]")
    ).to_have_count(1)

    # Screen sharing swaps the track in place; the candidate sees the screen's frames.
    width = "() => document.querySelector('video[data-remote]').videoWidth"
    camera_width = cand.evaluate(width)
    host.get_by_role("button", name="Share screen").click()
    expect(host.get_by_role("button", name="Stop sharing screen")).to_be_visible()
    wait_for(lambda: cand.evaluate(width) not in (0, camera_width), "the shared screen")
    host.get_by_role("button", name="Stop sharing screen").click()

    # Camera off: the other side shows the person's initials instead of a frozen frame.
    host.get_by_role("button", name="Turn camera off").click()
    remote_video = cand.locator("[data-testid=remote-tile] video")
    expect(remote_video).to_have_class(re.compile(r"\binvisible\b"))
    host.get_by_role("button", name="Turn camera on").click()
    expect(remote_video).not_to_have_class(re.compile(r"\binvisible\b"))

    # Chat faster than the hub allows: a clear note, and the room goes on.
    box = cand.get_by_label("Chat message")
    for i in range(22):
        box.fill(f"message {i}")
        box.press("Enter")
    expect(cand.get_by_role("alert").filter(has_text="wait a few seconds")).to_be_visible()
    expect(host.get_by_test_id("chat-messages")).to_contain_text("message 19")
