"""The report renderer on its own: what people typed is text, and the PDF fetches nothing."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from markdown_it import MarkdownIt

from codepair.domain.reports.markdown import to_markdown
from codepair.domain.reports.pdf import to_html, to_pdf


def _report(text: str, svg: str | None = None) -> dict[str, Any]:
    base = "http://codepair.example"
    return {
        "generated_at": "2026-12-01T20:00:00+00:00",
        "base_url": base,
        "room": {
            "id": "r1",
            "title": text,
            "candidate_name": text,
            "status": "ended",
            "language": "python",
            "scheduled_at": None,
            "duration_minutes": 60,
            "created_at": None,
            "started_at": None,
            "ended_at": None,
            "url": f"{base}/rooms/r1",
        },
        "interviewers": [{"id": 1, "name": text, "email": "a@example.com", "role": "owner"}],
        "code": {"language": "python", "text": text},
        "notes": {"text": "", "html": "", "markdown": ""},
        "runs": [],
        "questions": None,
        "chat": [{"author": {"name": text, "role": "candidate"}, "text": text, "sent_at": None}],
        "scorecards": {
            "items": [],
            "criteria": [],
            "progress": {"submitted": 0, "expected": 1},
            "others_hidden": False,
        },
        "timeline": None,
        "board": {"elements": 1, "svg": svg} if svg else None,
    }


def test_what_people_typed_is_escaped() -> None:
    evil = "<img src='http://127.0.0.1:9/x'><script>alert(1)</script>"
    html = to_html(_report(evil))
    assert "<img src='http://127.0.0.1:9/x'>" not in html and "<script>" not in html
    assert "&lt;script&gt;" in html
    md = to_markdown(_report("# heading [link](http://x) *b*"))
    assert "\\# heading \\[link\\](http://x) \\*b\\*" in md


class _Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_the_pdf_fetches_nothing_from_the_network() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/leak.png"
    try:
        svg = (
            "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'"
            f" width='100' height='100'><image href='{url}' xlink:href='{url}' width='50'"
            " height='50'/><rect width='20' height='20'/></svg>"
        )
        pdf = to_pdf(_report("Plain Candidate", svg))
        assert pdf.startswith(b"%PDF")
        # The embedded board image itself is a data: URL and is drawn.
        assert base64.b64encode(svg.encode()).decode()[:20] in to_html(_report("x", svg))
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert _Counter.hits == 0


def test_a_summary_is_text_on_its_own_lines_in_markdown() -> None:
    report = _report("Ada")
    summary = (
        "Strong on recursion.\n## Runs\n- hired\n1. first\n<b>bold</b>\n===\n\n"
        "See [at 12:03](/rooms/r1/replay?t=2026-12-01T12:03:00Z)"
    )
    report["scorecards"]["items"] = [
        {
            "interviewer": {"name": "Lena"},
            "recommendation": "yes",
            "status": "submitted",
            "ratings": [],
            "summary": summary,
            "submitted_at": "2026-12-01T13:00:00+00:00",
        }
    ]
    md = to_markdown(report)
    body = md[md.index("Strong on recursion") : md.index("## Final code")]
    assert body.splitlines()[:8] == [
        "Strong on recursion.\\",
        "\\#\\# Runs\\",
        "\\- hired\\",
        "1\\. first\\",
        "\\<b\\>bold\\</b\\>\\",
        "\\===",
        "",
        "See [at 12:03](<http://codepair.example/rooms/r1/replay?t=2026-12-01T12:03:00Z>)",
    ]
    # As a CommonMark reader shows it: one paragraph of six lines, then the link.
    html = MarkdownIt("commonmark").render(body)
    assert html.count("<p>") == 2 and html.count("<br />") == 5
    for opened in ("<h", "<li", "<ol", "<ul", "<b>", "<pre"):
        assert opened not in html, (opened, html)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "1. first" in html
    assert '<a href="http://codepair.example/rooms/r1/replay?t=2026-12-01T12:03:00Z">' in html
    # And in the PDF's HTML: text escaped, the link a link to this server's replay.
    pdf_html = to_html(report)
    assert "&lt;b&gt;bold&lt;/b&gt;" in pdf_html and "<b>bold" not in pdf_html
    link = "<a href='http://codepair.example/rooms/r1/replay?t=2026-12-01T12:03:00Z'>at 12:03</a>"
    assert link in pdf_html


def _with_question(prompt: str) -> dict[str, Any]:
    report = _report("Ada")
    report["questions"] = [
        {"title": "Reverse words", "difficulty": "easy", "tags": [], "prompt": prompt,
         "last_test_run": None}
    ]
    return report


def test_the_pdf_renders_a_prompt_as_markdown_without_its_html() -> None:
    prompt = (
        "Reverse the **words** of a line.\n\n- keep `spaces`\n- one line\n\n"
        "<script>alert(1)</script> <img src='http://127.0.0.1:9/x'>\n\n"
        "![leak](http://127.0.0.1:9/y.png) [docs](https://example.com) [bad](javascript:alert(1))"
    )
    html = to_html(_with_question(prompt))
    assert "<strong>words</strong>" in html and "<li>keep <code>spaces</code></li>" in html
    assert "<pre>Reverse" not in html  # not a code box of raw Markdown
    # What the author typed as HTML is text; no image, no script link.
    assert "<script>" not in html and "<img src='http://127.0.0.1:9/x'>" not in html
    assert "&lt;script&gt;" in html and "<img" not in html  # an image is at most a link
    assert '<a href="https://example.com">docs</a>' in html and 'href="javascript' not in html


def _with_moments(*moments: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    report = _report("Ada")
    report["timeline"] = {
        "counts": {},
        "replay": "http://codepair.example/rooms/r1/replay",
        "moments": [
            {"at": "2026-12-01T12:00:00+00:00", "type": kind, "actor": {"name": "Cody"},
             "detail": detail, "replay": "http://codepair.example/rooms/r1/replay?t=x"}
            for kind, detail in moments
        ],
    }
    return report


def test_both_timelines_say_came_back_and_a_tests_runs_pass_count() -> None:
    report = _with_moments(
        ("focus_lost", {}),
        ("focus_returned", {"away_seconds": 40.2}),
        ("run", {"status": "ok", "language": "python", "run_id": "x", "passed": 0, "total": 2}),
        ("run", {"status": "ok", "language": "python", "run_id": "y"}),
        ("paste", {"chars": 1}),
    )
    md = to_markdown(report)
    assert "Came back (Cody): after 40 s away" in md
    assert "Run (Cody): OK, 0 of 2 tests passed, language: python" in md
    assert "Run (Cody): OK, language: python" in md  # a plain run has no count
    assert "Paste (Cody): 1 character" in md and "passed: 0" not in md
    html = to_html(report)
    assert "<b>Came back</b> · Cody · after 40 s away" in html
    assert "OK, 0 of 2 tests passed, language: python" in html


def test_counts_in_the_markdown_report_agree_with_their_nouns() -> None:
    report = _report("Ada")
    report["board"] = {"elements": 1, "svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}
    assert "1 element; the PDF report shows the board." in to_markdown(report)
    report["board"]["elements"] = 3
    assert "3 elements;" in to_markdown(report)
