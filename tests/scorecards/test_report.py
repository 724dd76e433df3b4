"""The interview report: its JSON holds what the room holds, in Markdown and PDF too, with
the scorecards' visibility rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scorecards.roomfill import activity, board_doc, chat, code_doc, notes_doc, write_doc
from tests.support.api import Actor, client, create_room, create_user, join, keep_fresh
from tests.support.server import Server

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CODE = 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint("fib", fib(10))\n'
QUESTION = {
    "title": "Fibonacci",
    "prompt": "Print fib(10).",
    "difficulty": "easy",
    "tags": ["recursion"],
    "tests": [
        {"name": "prints it", "stdin": "", "expected_stdout": "fib 55\n", "hidden": False},
        {"name": "secret", "stdin": "", "expected_stdout": "nope\n", "hidden": True},
    ],
    "rubric": [{"criterion": "Recursion", "description": "Sees the recursive structure"}],
}
OWNER_SUMMARY = "Strong recursion, clear talk: would hire"
CO_SUMMARY = "Co draft kept to myself"


@dataclass
class Interview:
    server: Server
    lead: Actor
    owner: Actor
    co: Actor
    room: dict[str, Any]

    def report(self, who: Actor, fmt: str) -> httpx.Response:
        with client(self.server) as c:
            return c.get(
                f"/api/rooms/{self.room['id']}/report", params={"format": fmt}, headers=who.headers
            )


@pytest.fixture(scope="module")
async def interview(server: Server, shared_lead: Actor) -> Interview:
    lead = keep_fresh(server, shared_lead)
    owner = create_user(server, lead, name="Olga Owner")
    co = create_user(server, lead, name="Cole Co")
    room = create_room(server, owner, candidate_name="Rita Report", title="Backend pairing")
    with client(server) as c:
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
    candidate = join(server, room, name="Rita Report")
    await write_doc(server, room["id"], candidate.token, "code", code_doc(CODE))
    await write_doc(server, room["id"], owner.token, "notes", notes_doc())
    await chat(server, room["id"], candidate.token, ["Should I handle negative numbers?"])
    await chat(server, room["id"], owner.token, ["Good question: assume n >= 0."])
    await activity(server, room["id"], candidate.token, {"kind": "paste", "chars": 120})
    await activity(server, room["id"], candidate.token, {"kind": "focus_lost"},
                   {"kind": "focus_returned"})
    await write_doc(server, room["id"], owner.token, "board", board_doc())
    with client(server) as c:
        r = c.post(f"/api/rooms/{room['id']}/runs", headers=candidate.headers, json={})
        assert r.status_code in (200, 201), r.text
        run = r.json()
        r = c.post("/api/questions", headers=owner.headers, json=QUESTION)
        assert r.status_code == 201, r.text
        r = c.post(
            f"/api/rooms/{room['id']}/questions",
            headers=owner.headers,
            json={"question_id": r.json()["id"]},
        )
        assert r.status_code == 201, r.text
        rq_id = r.json()["id"]
        r = c.post(f"/api/rooms/{room['id']}/questions/{rq_id}/present", headers=owner.headers)
        assert r.status_code == 200, r.text
        r = c.post(f"/api/rooms/{room['id']}/runs", headers=candidate.headers, json={"tests": True})
        assert r.status_code in (200, 201), r.text
        assert (r.json()["passed"], r.json()["total"]) == (1, 2), r.json()
        url = f"/api/rooms/{room['id']}/scorecards"
        c.put(
            f"{url}/me",
            headers=owner.headers,
            json={
                "ratings": [
                    {"criterion": "Problem solving", "score": 4, "comment": "found it fast"},
                    {"criterion": "Communication", "score": 3, "comment": "asked first"},
                ],
                "recommendation": "strong_yes",
                "summary": OWNER_SUMMARY,
            },
        ).raise_for_status()
        c.post(f"{url}/me/submit", headers=owner.headers).raise_for_status()
        c.put(
            f"{url}/me",
            headers=co.headers,
            json={
                "ratings": [{"criterion": "Testing", "score": 2, "comment": "few tests"}],
                "recommendation": "no",
                "summary": CO_SUMMARY,
            },
        ).raise_for_status()
        c.post(f"/api/rooms/{room['id']}/end", headers=owner.headers).raise_for_status()
    assert run["status"] in ("ok", "queued", "running")
    return Interview(server, lead, owner, co, room)


def test_json_holds_what_the_room_holds(interview: Interview) -> None:
    r = interview.report(interview.owner, "json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    report = r.json()
    assert report["room"]["candidate_name"] == "Rita Report"
    assert report["room"]["title"] == "Backend pairing"
    assert report["room"]["status"] == "ended" and report["room"]["ended_at"]
    assert [(i["name"], i["role"]) for i in report["interviewers"]] == [
        ("Olga Owner", "owner"),
        ("Cole Co", "co-interviewer"),
    ]
    assert report["code"] == {
        "language": "python",
        "text": CODE,
        "entry": "main.py",
        "files": [{"path": "main.py", "text": CODE}],
    }
    assert [(m["author"]["name"], m["text"]) for m in report["chat"]] == [
        ("Rita Report", "Should I handle negative numbers?"),
        ("Olga Owner", "Good question: assume n >= 0."),
    ]
    assert report["chat"][0]["author"]["role"] == "candidate"
    run, test_run = report["runs"]
    assert run["author"]["name"] == "Rita Report" and run["code"] == CODE
    assert run["status"] == "ok", run
    assert "fib 55" in run["stdout"] and run["tests"] is None
    assert test_run["tests"]["passed"] == 1 and test_run["tests"]["total"] == 2
    [question] = report["questions"]
    assert question["title"] == "Fibonacci" and question["presented_at"]
    last = question["last_test_run"]
    assert last["run_id"] == test_run["id"] and last["code"] == CODE
    assert [(t["name"], t["hidden"], t["passed"]) for t in last["results"]] == [
        ("prints it", False, True),
        ("secret", True, False),
    ]
    # The question's rubric joins the organization's criteria.
    criteria = [c["criterion"] for c in report["scorecards"]["criteria"]]
    assert criteria[0] == "Recursion" and "Problem solving" in criteria
    assert report["board"]["elements"] == 1 and report["board"]["svg"].startswith("<svg")
    notes = report["notes"]
    assert "Clean recursion with memo" in notes["text"]
    assert "<strong>recursion</strong>" in notes["html"] and "<code>memo</code>" in notes["html"]
    assert "**recursion**" in notes["markdown"] and "- wrote tests first" in notes["markdown"]
    cards = {c["interviewer"]["name"]: c for c in report["scorecards"]["items"]}
    assert cards["Olga Owner"]["summary"] == OWNER_SUMMARY
    assert cards["Olga Owner"]["recommendation"] == "strong_yes"
    assert cards["Olga Owner"]["ratings"][0] == {
        "criterion": "Problem solving",
        "score": 4,
        "comment": "found it fast",
    }
    assert cards["Cole Co"]["status"] == "draft"  # the owner has submitted: they see it
    assert report["scorecards"]["progress"] == {"submitted": 1, "expected": 2}
    timeline = report["timeline"]
    if timeline is not None:
        assert timeline["counts"].get("chat") == 2
        assert timeline["counts"].get("run") == 2
        assert timeline["counts"].get("paste") == 1
        moments = {m["type"]: m for m in timeline["moments"]}
        assert moments["paste"]["detail"] == {"chars": 120}
        assert moments["focus_returned"]["detail"]["away_seconds"] >= 0  # "came back after"
        assert moments["question"]["detail"]["title"] == "Fibonacci"
        assert moments["run"]["replay"].startswith(
            f"{interview.server.url}/rooms/{interview.room['id']}/replay?t="
        )
        assert "ended" in moments


def test_scorecards_in_the_report_stay_blind(interview: Interview) -> None:
    """The co has not submitted: the owner's judgment is in none of their formats."""
    for fmt in ("json", "md"):
        r = interview.report(interview.co, fmt)
        assert r.status_code == 200
        assert OWNER_SUMMARY not in r.text and CO_SUMMARY in r.text
    report = interview.report(interview.co, "json").json()
    assert [c["interviewer"]["name"] for c in report["scorecards"]["items"]] == ["Cole Co"]
    assert report["scorecards"]["others_hidden"] is True
    # A lead sees every card.
    lead_view = interview.report(interview.lead, "json").json()
    assert len(lead_view["scorecards"]["items"]) == 2


def test_markdown(interview: Interview) -> None:
    r = interview.report(interview.owner, "md")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    assert "attachment" in r.headers["content-disposition"]
    assert "interview-rita-report.md" in r.headers["content-disposition"]
    md = r.text
    assert md.startswith("# Interview report: Rita Report")
    assert "```python\n" + CODE in md
    assert "Should I handle negative numbers?" in md
    assert "**recursion**" in md
    assert "\n#### Strengths\n" in md  # a notes heading sits below the report's own
    assert OWNER_SUMMARY in md and "Strong yes" in md
    assert "Came back (Rita Report): after 0 s away" in md  # the timeline says how long
    assert "1 of 2 submitted" in md


def test_pdf_renders_what_a_committee_reads(interview: Interview, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:  # make test installs poppler-utils
        (pytest.fail if os.environ.get("CI") else pytest.skip)("needs pdftotext (poppler-utils)")
    r = interview.report(interview.owner, "pdf")
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Rita Report" in text
    assert "return n if n < 2 else fib(n - 1) + fib(n - 2)" in text
    assert "Should I handle negative numbers?" in text
    assert OWNER_SUMMARY in text
    assert "Clean recursion with memo" in text
    assert "Fibonacci" in text and "1 of 2 passed" in text
    # Pages as images, for a person to look at (artifacts/ is gitignored).
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(pdf), str(ARTIFACTS / "report-page")], check=True
    )
    assert list(ARTIFACTS.glob("report-page*.png"))


def test_bad_format_and_audit(interview: Interview) -> None:
    assert interview.report(interview.owner, "docx").status_code == 422
    with client(interview.server) as c:
        r = c.get(
            "/api/audit",
            params={"action": "report.downloaded", "room_id": interview.room["id"]},
            headers=interview.lead.headers,
        )
    if r.status_code == 404:  # no audit log in this build
        return
    assert r.status_code == 200, r.text
    rows = [row for row in r.json()["items"] if row["action"] == "report.downloaded"]
    assert rows, json.dumps(r.json())[:500]
