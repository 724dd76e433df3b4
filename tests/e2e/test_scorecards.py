"""Scorecards in Chromium: two interviewers fill in and submit their cards, each sees the
other's only after submitting, the dashboard shows the state, the report downloads."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS, screenshot
from tests.e2e.test_interview import sign_in
from tests.support.api import Actor, client, create_room, create_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

NewContext = Callable[[], BrowserContext]
OWNER_SUMMARY = "Structured, tested as she went; would hire."
CO_SUMMARY = "Solid fundamentals, slow on the edge cases."


def fill_card(page: Page, scores: dict[str, int], recommendation: str, summary: str) -> None:
    for criterion, score in scores.items():
        page.get_by_role("radiogroup", name=f"Score for {criterion}").get_by_role(
            "radio", name=f"{score} "
        ).click()
        page.get_by_role("textbox", name=f"Comment on {criterion}").fill(
            f"{criterion}: seen in the session"
        )
    page.get_by_role("radiogroup", name="Recommendation").get_by_role(
        "radio", name=recommendation, exact=True
    ).click()
    page.get_by_label("Summary").fill(summary)
    expect(page.get_by_test_id("save-state")).to_have_text("Draft saved")


def test_two_interviewers_score_blind_then_see_each_other(
    server: Server, lead: Actor, new_context: NewContext, tmp_path: Path
) -> None:
    owner = create_user(server, lead, name="Olga Owner")
    co = create_user(server, lead, name="Cole Co")
    room = create_room(server, owner, candidate_name="Sam Scorecard", title="Pairing")
    with client(server) as c:
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
    assert owner.email and co.email

    # The co-interviewer scores from the room's Scorecard panel, beside the notes.
    co_page = new_context().new_page()
    sign_in(co_page, co.email)
    co_page.goto(f"/rooms/{room['id']}")
    co_page.get_by_role("tab", name="Scorecard").click()
    panel = co_page.get_by_test_id("scorecard-panel")
    expect(panel.get_by_text("Problem solving")).to_be_visible()
    fill_card(co_page, {"Problem solving": 3, "Testing": 2}, "Yes", CO_SUMMARY)
    panel.get_by_role("button", name="Link this moment in the comment on Testing").click()
    expect(panel.get_by_role("textbox", name="Comment on Testing")).to_have_value(
        re.compile(r"\[replay \d\d:\d\d\]\(/rooms/.+/replay\?t=")
    )
    expect(panel.get_by_test_id("save-state")).to_have_text("Draft saved")
    screenshot(co_page, "scorecard-panel")

    # The owner scores in the room too, then ends the interview and is taken to the card.
    owner_page = new_context().new_page()
    sign_in(owner_page, owner.email)
    owner_page.goto(f"/rooms/{room['id']}")
    owner_page.get_by_role("tab", name="Scorecard").click()
    fill_card(
        owner_page,
        {"Problem solving": 4, "Code quality": 3, "Communication": 4, "Testing": 4},
        "Strong yes",
        OWNER_SUMMARY,
    )
    # Nobody has submitted: the owner sees no other card.
    expect(owner_page.get_by_test_id("others-hidden")).to_be_visible()
    expect(owner_page.get_by_text(CO_SUMMARY)).to_have_count(0)
    owner_page.get_by_role("button", name="End interview").click()
    owner_page.get_by_role("dialog").get_by_role("button", name="End interview").click()
    expect(owner_page).to_have_url(f"{server.url}/rooms/{room['id']}/scorecard")
    expect(owner_page.get_by_role("heading", name="Scorecard: Sam Scorecard")).to_be_visible()
    # The draft came along.
    expect(owner_page.get_by_label("Summary")).to_have_value(OWNER_SUMMARY)

    # The co's dashboard: the ended room waits for their scorecard.
    co_page.goto("/")
    waiting = co_page.get_by_test_id("scorecard-waiting")
    expect(waiting.get_by_text("Sam Scorecard")).to_be_visible()
    expect(co_page.get_by_test_id("scorecard-state").first).to_contain_text("0 of 2 submitted")
    screenshot(co_page, "scorecard-dashboard-waiting")

    # The owner submits and sees the co's card (a draft); the co still sees nothing of theirs.
    owner_page.get_by_role("button", name="Submit scorecard").click()
    expect(owner_page.get_by_test_id("save-state")).to_have_text("Submitted")
    expect(owner_page.get_by_text(CO_SUMMARY)).to_be_visible()
    screenshot(owner_page, "scorecard-page-submitted")

    co_page.goto(f"/rooms/{room['id']}/scorecard")
    expect(co_page.get_by_label("Summary")).to_have_value(CO_SUMMARY)
    expect(co_page.get_by_test_id("scorecard-progress")).to_have_text("1 of 2 submitted")
    expect(co_page.get_by_test_id("others-hidden")).to_be_visible()
    expect(co_page.get_by_text(OWNER_SUMMARY)).to_have_count(0)
    co_page.get_by_role("button", name="Submit scorecard").click()
    expect(co_page.get_by_text(OWNER_SUMMARY)).to_be_visible()
    expect(co_page.get_by_test_id("scorecard-progress")).to_have_text("2 of 2 submitted")
    # The replay link in the comment is a link now.
    expect(co_page.get_by_role("link", name=re.compile(r"replay \d\d:\d\d"))).to_be_visible()

    # The dashboard: 2 of 2, both recommendations, nothing waiting.
    owner_page.goto("/")
    state = owner_page.get_by_test_id("scorecard-state").first
    expect(state).to_contain_text("2 of 2 submitted")
    expect(state.get_by_text("Strong yes")).to_be_visible()
    expect(state.get_by_text("Yes", exact=True)).to_be_visible()
    expect(owner_page.get_by_test_id("scorecard-waiting")).to_have_count(0)
    screenshot(owner_page, "scorecard-dashboard")

    # The report downloads in three formats.
    owner_page.goto(f"/rooms/{room['id']}/scorecard")
    files: dict[str, Path] = {}
    for label, ext in (("PDF", "pdf"), ("Markdown", "md"), ("JSON", "json")):
        with owner_page.expect_download() as info:
            owner_page.get_by_role("button", name=f"Download the report as {label}").click()
        download = info.value
        assert download.suggested_filename == f"interview-sam-scorecard.{ext}"
        files[ext] = tmp_path / download.suggested_filename
        download.save_as(files[ext])
    report = json.loads(files["json"].read_text())
    assert {c["summary"] for c in report["scorecards"]["items"]} == {OWNER_SUMMARY, CO_SUMMARY}
    assert "# Interview report: Sam Scorecard" in files["md"].read_text()
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(files["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Sam Scorecard" in text and OWNER_SUMMARY in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(files["pdf"]), str(ARTIFACTS / "e2e-report-page")],
        check=True,
    )


def test_a_lead_edits_the_default_criteria(
    server: Server, lead: Actor, new_context: NewContext
) -> None:
    with client(server) as c:
        before = c.get("/api/scorecard-criteria", headers=lead.headers).json()["items"]
    assert lead.email
    page = new_context().new_page()
    sign_in(page, lead.email)
    page.goto("/settings")
    editor = page.get_by_test_id("criteria-editor")
    expect(editor.get_by_label("Criterion 1", exact=True)).to_have_value(before[0]["criterion"])
    editor.get_by_role("button", name="Add criterion").click()
    n = len(before) + 1
    editor.get_by_label(f"Criterion {n}", exact=True).fill("System design")
    editor.get_by_label(f"Description of criterion {n}").fill("Sketches the parts and trade-offs")
    editor.get_by_role("button", name=f"Move criterion {n} up").click()
    editor.get_by_role("button", name="Save criteria").click()
    expect(editor.get_by_text("Saved")).to_be_visible()
    screenshot(page, "scorecard-criteria-editor")
    with client(server) as c:
        after = c.get("/api/scorecard-criteria", headers=lead.headers).json()["items"]
        assert [i["criterion"] for i in after][-2:] == ["System design", before[-1]["criterion"]]
        c.put(
            "/api/scorecard-criteria", headers=lead.headers, json={"items": before}
        ).raise_for_status()
