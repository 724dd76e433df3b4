"""The interview report rendered: Markdown, and HTML that WeasyPrint turns into the PDF.

Both are built from the one dict of :func:`codepair.domain.report.build_report`. Everything
that came from people in the room (names, chat, code, notes, comments) is escaped; the PDF
renderer fetches nothing but the ``data:`` images the report itself embeds.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime
from typing import Any

from codepair.domain.errors import Unavailable
from codepair.domain.scorecards import RECOMMENDATION_LABELS

RUN_LINES = 12  # lines of a run's output in the PDF (the JSON keeps more)
PDF_RUNS = 50  # the last runs shown in the PDF: each costs layout time (the JSON has them all)
SCORE_LABELS = {1: "1 · poor", 2: "2 · mixed", 3: "3 · good", 4: "4 · excellent"}
STATUS_LABELS = {
    "ok": "OK",
    "compile_error": "Compile error",
    "runtime_error": "Runtime error",
    "time_limit": "Time limit",
    "memory_limit": "Memory limit",
    "output_limit": "Output limit",
    "internal_error": "Internal error",
    "queued": "Queued",
    "running": "Running",
}
MOMENT_LABELS = {
    "paste": "Paste",
    "focus_lost": "Left the tab",
    "run": "Run",
    "question": "Question presented",
    "language": "Language changed",
    "ended": "Interview ended",
}


def _when(value: str | None, *, with_date: bool = True) -> str:
    if not value:
        return "—"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dt.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M:%S")


def _rec(value: str | None) -> str:
    return RECOMMENDATION_LABELS.get(value or "", "—")


# --- Markdown -------------------------------------------------------------------------------


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#<>|])")


# A replay link as the web client writes it into a comment: [label](/rooms/ID/replay?t=...).
_REPLAY_LINK = re.compile(r"\[([^\]\n]{1,80})\]\((/rooms/[\w-]+/replay\?t=[\w%.:+-]+)\)")


def _html_links(text: str, base: str) -> str:
    """Escaped text whose replay links become links to the replay on this server."""
    out, last = [], 0
    for m in _REPLAY_LINK.finditer(text):
        out.append(_h(text[last : m.start()]))
        out.append(f"<a href='{_h(base + m.group(2))}'>{_h(m.group(1))}</a>")
        last = m.end()
    out.append(_h(text[last:]))
    return "".join(out)


def _md_links(text: str, base: str) -> str:
    """Markdown-escaped text whose replay links stay links (absolute)."""
    out, last = [], 0
    for m in _REPLAY_LINK.finditer(text):
        out.append(_md(text[last : m.start()]))
        out.append(f"[{_md(m.group(1))}](<{base}{m.group(2)}>)")
        last = m.end()
    out.append(_md(text[last:]))
    return "".join(out)


def _md(text: Any) -> str:
    """Inline text, escaped for Markdown (and on one line)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


# What opens a block at the start of a line: a list item, an ordered one, a setext underline
# or a thematic break, a fence of tildes (the rest is escaped by _MD_SPECIAL anywhere).
_MD_LINE_START = re.compile(r"^(?:([-+=~])|(\d+)([.)]))")


def _escape_start(m: re.Match[str]) -> str:
    return f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}"


def _md_text(text: str, base: str) -> str:
    """Plain text on several lines (a summary), escaped for Markdown: its lines and blank
    lines stay, nothing in it becomes a heading, a list or HTML, and replay links stay links."""
    lines = [line.strip() for line in text.strip().splitlines()]
    out = [_MD_LINE_START.sub(_escape_start, _md_links(line, base)) for line in lines]
    # A backslash at a line's end is a hard line break; a blank line ends the paragraph.
    return "\n".join(
        line + ("\\" if line and i + 1 < len(out) and out[i + 1] else "")
        for i, line in enumerate(out)
    )


def _fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    safe_lang = re.sub(r"[^\w+-]", "", lang)
    return f"{ticks}{safe_lang}\n{text}\n{ticks}"


def to_markdown(report: dict[str, Any]) -> str:
    room = report["room"]
    out: list[str] = [f"# Interview report: {_md(room['candidate_name'])}", ""]
    if room["title"]:
        out += [f"**{_md(room['title'])}**", ""]
    out += [
        f"- Candidate: {_md(room['candidate_name'])}",
        f"- Scheduled: {_when(room['scheduled_at'])} ({room['duration_minutes']} minutes)",
        f"- Started: {_when(room['started_at'])}",
        f"- Ended: {_when(room['ended_at'])}",
        f"- Status: {room['status']}",
        "- Interviewers: "
        + ", ".join(f"{_md(i['name'])} ({i['role']})" for i in report["interviewers"]),
        f"- Room: <{room['url']}>",
        "",
    ]
    out += _md_scorecards(report["scorecards"], report["base_url"])
    if report["questions"] is not None:
        out += ["## Questions", ""]
        if not report["questions"]:
            out += ["No questions were planned for this interview.", ""]
        for n, q in enumerate(report["questions"], start=1):
            out += [f"### {n}. {_md(q['title'])}", ""]
            meta = [q["difficulty"] or "", ", ".join(q["tags"])]
            if any(meta):
                out += [" · ".join(_md(m) for m in meta if m), ""]
            if q["prompt"]:
                out += [q["prompt"], ""]
            last = q["last_test_run"]
            if last:
                out += [
                    f"Tests: **{last['passed']} of {last['total']} passed** ({_when(last['at'])})",
                    "",
                ]
                out += [
                    f"- {'passed' if r['passed'] else 'FAILED'}: {_md(r['name'])}"
                    + (" (hidden)" if r["hidden"] else "")
                    for r in last["results"]
                ]
                out += [""]
            else:
                out += ["Tests: not run against this question.", ""]
    code = report["code"]
    out += ["## Final code", "", f"Language: {code['language']}", ""]
    out += [_fence(code["text"], code["language"]) if code["text"].strip() else "(empty)", ""]
    out += ["## Runs", ""]
    if not report["runs"]:
        out += ["No code was run.", ""]
    for run in report["runs"]:
        tests = run["tests"]
        head = (
            f"- {_when(run['created_at'])}, {_md(run['author']['name'])}: {run['language']}, "
            f"**{STATUS_LABELS.get(run['status'], run['status'])}**"
        )
        if run["wall_ms"] is not None:
            head += f", {run['wall_ms']} ms"
        if tests:
            head += f", tests {tests['passed']}/{tests['total']}"
        out.append(head)
        if run["stdout"].strip():
            out += ["", _indent(_fence(run["stdout"])), ""]
        if run["stderr"].strip():
            out += ["", _indent(_fence(run["stderr"])), ""]
    out += ["", "## Chat", ""]
    if not report["chat"]:
        out += ["No chat messages.", ""]
    for m in report["chat"]:
        out.append(
            f"- {_when(m['sent_at'], with_date=False)} **{_md(m['author']['name'])}**"
            f" ({m['author']['role']}): {_md(m['text'])}"
        )
    out += ["", "## Interviewers' notes", ""]
    out += [report["notes"]["markdown"] or "No notes.", ""]
    out += _md_timeline(report["timeline"])
    board = report["board"]
    if board is not None:
        out += ["## Whiteboard", ""]
        out += [
            f"{board['elements']} elements; the PDF report shows the board."
            if board["elements"]
            else "The whiteboard was not used.",
            "",
        ]
    out += ["---", f"Generated {_when(report['generated_at'])}.", ""]
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _md_scorecards(section: dict[str, Any], base: str) -> list[str]:
    progress = section["progress"]
    out = [
        "## Scorecards",
        "",
        f"{progress['submitted']} of {progress['expected']} submitted.",
        "",
    ]
    if section["others_hidden"]:
        out += ["Other interviewers' scorecards are shown once yours is submitted.", ""]
    for card in section["items"]:
        state = "submitted" if card["status"] == "submitted" else "draft"
        out += [
            f"### {_md(card['interviewer']['name'])}: {_rec(card['recommendation'])} ({state})",
            "",
            "| Criterion | Score | Comment |",
            "|---|---|---|",
        ]
        for r in card["ratings"]:
            score = SCORE_LABELS.get(r["score"], "—") if r["score"] else "—"
            comment = _md_links(r["comment"], base)
            out.append(f"| {_md(r['criterion'])} | {score} | {comment} |")
        out += [""]
        if card["summary"]:
            out += [_md_text(card["summary"], base), ""]
    return out


def _md_timeline(section: dict[str, Any] | None) -> list[str]:
    if section is None:
        return []
    out = ["## Timeline", ""]
    counts = section["counts"]
    if counts:
        out += [", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()), ""]
    for m in section["moments"]:
        who = f" ({_md(m['actor']['name'])})" if m.get("actor") else ""
        out.append(
            f"- [{_when(m['at'], with_date=False)}]({m['replay']}) "
            f"{MOMENT_LABELS.get(m['type'], m['type'])}{who}{_md_detail(m['detail'])}"
        )
    out += ["", f"Replay: <{section['replay']}>", ""]
    return out


def _md_detail(detail: dict[str, Any]) -> str:
    parts = [f"{k}: {v}" for k, v in detail.items() if k != "run_id"]
    return (": " + _md(", ".join(parts))) if parts else ""


# --- HTML (for the PDF) ---------------------------------------------------------------------


def _h(text: Any) -> str:
    return html.escape(str(text))


CSS = """
@page {
  size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left {
    content: string(candidate) " · Interview report";
    font-size: 8pt;
    color: #6b7280;
  }
  @bottom-right {
    content: "Page " counter(page) " of " counter(pages);
    font-size: 8pt;
    color: #6b7280;
  }
}
html {
  font-family: "DejaVu Sans", "Liberation Sans", sans-serif;
  font-size: 9.5pt;
  color: #111827;
  line-height: 1.45;
}
h1 { font-size: 20pt; margin: 0 0 2pt; string-set: candidate content(); }
.subtitle { color: #4b5563; font-size: 11pt; margin: 0 0 10pt; }
h2 {
  font-size: 13pt;
  margin: 18pt 0 6pt;
  padding-bottom: 3pt;
  border-bottom: 1.5pt solid #1f2937;
  break-after: avoid;
}
h3 { font-size: 11pt; margin: 12pt 0 4pt; break-after: avoid; }
h4, h5, h6 { font-size: 10pt; margin: 8pt 0 3pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
th, td {
  text-align: left;
  vertical-align: top;
  padding: 3pt 5pt;
  border-bottom: 0.5pt solid #d1d5db;
}
th { background: #f3f4f6; font-weight: bold; }
table.meta th { width: 28%; background: none; color: #4b5563; font-weight: normal; }
pre {
  font-family: "DejaVu Sans Mono", monospace;
  font-size: 8pt;
  background: #f9fafb;
  border: 0.5pt solid #e5e7eb;
      padding: 5pt 6pt; white-space: pre-wrap; word-wrap: break-word; margin: 4pt 0 8pt; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
.muted { color: #6b7280; }
.badge {
  display: inline-block;
  padding: 1pt 6pt;
  border-radius: 8pt;
  font-size: 8.5pt;
  font-weight: bold;
}
.rec-strong_yes { background: #065f46; color: white; }
.rec-yes { background: #d1fae5; color: #065f46; }
.rec-no { background: #fee2e2; color: #991b1b; }
.rec-strong_no { background: #991b1b; color: white; }
.rec-none { background: #e5e7eb; color: #374151; }
.card {
  border: 0.75pt solid #d1d5db;
  border-radius: 4pt;
  padding: 6pt 8pt;
  margin: 6pt 0 10pt;
  break-inside: avoid;
}
.card h3 { margin-top: 0; }
.summary { margin: 4pt 0 0; white-space: pre-wrap; }
.pass { color: #065f46; font-weight: bold; } .fail { color: #991b1b; font-weight: bold; }
.chat td.time { width: 12%; color: #6b7280; white-space: nowrap; }
.chat td.who { width: 20%; font-weight: bold; }
.notes { border-left: 2pt solid #d1d5db; padding-left: 8pt; }
.board img { max-width: 100%; max-height: 200mm; border: 0.5pt solid #e5e7eb; }
a { color: #1d4ed8; text-decoration: none; }
.overview td.score { text-align: center; }
.overview td:first-child { width: 34%; }
.badge { white-space: nowrap; }
p.line { margin: 0; padding: 2pt 0; border-bottom: 0.5pt solid #e5e7eb; }
.time { display: inline-block; width: 16mm; color: #6b7280; }
.run { border-bottom: 0.5pt solid #e5e7eb; padding: 3pt 0; }
.run pre { margin: 3pt 0 0 16mm; }
table.card-ratings td:first-child { width: 26%; }
table.card-ratings td:nth-child(2) { width: 15%; white-space: nowrap; }
"""


def to_html(report: dict[str, Any]) -> str:
    room = report["room"]
    subtitle = ": " + _h(room["title"]) if room["title"] else ""
    people = ", ".join(
        f"{_h(i['name'])} <span class='muted'>({i['role']})</span>" for i in report["interviewers"]
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Interview report: {_h(room['candidate_name'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_h(room['candidate_name'])}</h1>",
        f"<p class='subtitle'>Interview report{subtitle}</p>",
        "<table class='meta'>",
        _row("Candidate", _h(room["candidate_name"])),
        _row(
            "Scheduled",
            f"{_when(room['scheduled_at']) if room['scheduled_at'] else 'Not scheduled'}"
            f" · {room['duration_minutes']} minutes",
        ),
        _row("Started / ended", f"{_when(room['started_at'])} / {_when(room['ended_at'])}"),
        _row("Interviewers", people),
        _row("Language", _h(report["code"]["language"])),
        "</table>",
    ]
    parts += _html_scorecards(report["scorecards"], report["base_url"])
    parts += _html_questions(report["questions"])
    code = report["code"]
    parts += ["<h2>Final code</h2>"]
    parts += [
        f"<pre>{_h(code['text'])}</pre>" if code["text"].strip() else "<p class='muted'>Empty.</p>"
    ]
    parts += _html_runs(report["runs"])
    parts += ["<h2>Chat</h2>"]
    if report["chat"]:
        parts.append("<div class='chat'>")
        for m in report["chat"]:
            parts.append(
                f"<p class='line'><span class='time'>{_when(m['sent_at'], with_date=False)}</span>"
                f" <b>{_h(m['author']['name'])}</b>"
                f" <span class='muted'>({_h(m['author']['role'])})</span> {_h(m['text'])}</p>"
            )
        parts.append("</div>")
    else:
        parts.append("<p class='muted'>No chat messages.</p>")
    parts += ["<h2>Interviewers' notes</h2>"]
    parts.append(
        f"<div class='notes'>{report['notes']['html']}</div>"
        if report["notes"]["text"].strip()
        else "<p class='muted'>No notes.</p>"
    )
    parts += _html_timeline(report["timeline"])
    parts += _html_board(report["board"])
    parts.append(f"<p class='muted'>Generated {_when(report['generated_at'])}.</p></body></html>")
    return "".join(parts)


def _row(label: str, value: str) -> str:
    return f"<tr><th>{label}</th><td>{value}</td></tr>"


def _badge(rec: str | None) -> str:
    return f"<span class='badge rec-{rec or 'none'}'>{_rec(rec)}</span>"


def _html_scorecards(section: dict[str, Any], base: str) -> list[str]:
    progress = section["progress"]
    out = [
        "<h2>Scorecards</h2>",
        f"<p>{progress['submitted']} of {progress['expected']} submitted.</p>",
    ]
    if section["others_hidden"]:
        out.append(
            "<p class='muted'>Other interviewers' scorecards are shown once yours is submitted.</p>"
        )
    cards = section["items"]
    if len(cards) > 1:  # an overview: criteria down, interviewers across
        criteria: list[str] = [c["criterion"] for c in section["criteria"]]
        for card in cards:
            for r in card["ratings"]:
                if r["criterion"] not in criteria:
                    criteria.append(r["criterion"])
        out.append("<table class='overview'><tr><th>Criterion</th>")
        out += [f"<th>{_h(c['interviewer']['name'])}</th>" for c in cards]
        out.append("</tr>")
        rated = [
            n for n in criteria if any(r["criterion"] == n for c in cards for r in c["ratings"])
        ]
        for name in rated:
            out.append(f"<tr><td>{_h(name)}</td>")
            for card in cards:
                score = next((r["score"] for r in card["ratings"] if r["criterion"] == name), None)
                out.append(f"<td class='score'>{score or '—'}</td>")
            out.append("</tr>")
        out.append("<tr><th>Recommendation</th>")
        out += [f"<td class='score'>{_badge(c['recommendation'])}</td>" for c in cards]
        out.append("</tr></table>")
    for card in cards:
        state = "" if card["status"] == "submitted" else " <span class='muted'>(draft)</span>"
        out.append(
            f"<div class='card'><h3>{_h(card['interviewer']['name'])} "
            f"{_badge(card['recommendation'])}{state}</h3>"
        )
        if card["ratings"]:
            out.append(
                "<table class='card-ratings'><tr><th>Criterion</th><th>Score</th>"
                "<th>Comment</th></tr>"
            )
            for r in card["ratings"]:
                score = SCORE_LABELS.get(r["score"], "—") if r["score"] else "—"
                out.append(
                    f"<tr><td>{_h(r['criterion'])}</td><td>{score}</td>"
                    f"<td>{_html_links(r['comment'], base)}</td></tr>"
                )
            out.append("</table>")
        if card["summary"]:
            out.append(f"<p class='summary'>{_html_links(card['summary'], base)}</p>")
        if card["submitted_at"]:
            out.append(f"<p class='muted'>Submitted {_when(card['submitted_at'])}</p>")
        out.append("</div>")
    if not cards:
        out.append("<p class='muted'>No scorecard yet.</p>")
    return out


def _html_questions(questions: list[dict[str, Any]] | None) -> list[str]:
    if questions is None:
        return []
    out = ["<h2>Questions</h2>"]
    if not questions:
        out.append("<p class='muted'>No questions were planned for this interview.</p>")
    for n, q in enumerate(questions, start=1):
        meta = " · ".join(_h(m) for m in [q["difficulty"] or "", ", ".join(q["tags"])] if m)
        out.append(f"<h3>{n}. {_h(q['title'])}</h3>")
        if meta:
            out.append(f"<p class='muted'>{meta}</p>")
        if q["prompt"]:
            out.append(f"<pre>{_h(q['prompt'])}</pre>")
        last = q["last_test_run"]
        if last:
            out.append(
                f"<p>Tests: <b>{last['passed']} of {last['total']} passed</b> "
                f"<span class='muted'>({_when(last['at'])})</span></p><table>"
            )
            for r in last["results"]:
                mark = (
                    "<span class='pass'>passed</span>"
                    if r["passed"]
                    else "<span class='fail'>failed</span>"
                )
                hidden = " <span class='muted'>(hidden)</span>" if r["hidden"] else ""
                out.append(f"<tr><td>{_h(r['name'])}{hidden}</td><td>{mark}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p class='muted'>Tests: not run against this question.</p>")
    return out


def _html_runs(runs: list[dict[str, Any]]) -> list[str]:
    out = ["<h2>Runs</h2>"]
    if not runs:
        return [*out, "<p class='muted'>No code was run.</p>"]
    if len(runs) > PDF_RUNS:
        out.append(
            f"<p class='muted'>The last {PDF_RUNS} of {len(runs)} runs; the JSON report has "
            "them all.</p>"
        )
    # Blocks, not a table: WeasyPrint lays out a table that spans pages many times slower.
    for run in runs[-PDF_RUNS:]:
        result = STATUS_LABELS.get(run["status"], run["status"])
        if run["tests"]:
            result += f" · tests {run['tests']['passed']}/{run['tests']['total']}"
        if run["wall_ms"] is not None:
            result += f" · {run['wall_ms']} ms"
        output = (run["stdout"] + ("\n" + run["stderr"] if run["stderr"] else "")).strip()
        lines = output.splitlines()
        if len(lines) > RUN_LINES:
            lines = [*lines[:RUN_LINES], f"[... {len(lines) - RUN_LINES} more lines]"]
        out.append(
            f"<div class='run'><div class='line'><span class='time'>"
            f"{_when(run['created_at'], with_date=False)}</span> "
            f"<b>{_h(run['author']['name'])}</b> · {_h(run['language'])} · {result}</div>"
            + (f"<pre>{_h(chr(10).join(lines)[:1500])}</pre>" if output else "")
            + "</div>"
        )
    return out


def _html_timeline(section: dict[str, Any] | None) -> list[str]:
    if section is None:
        return []
    out = ["<h2>Timeline</h2>"]
    counts = section["counts"]
    if counts:
        out.append("<table><tr>")
        out += [f"<th>{_h(k.replace('_', ' '))}</th>" for k in counts]
        out.append("</tr><tr>")
        out += [f"<td>{v}</td>" for v in counts.values()]
        out.append("</tr></table>")
    if section["moments"]:
        out.append("<div class='moments'>")
        for m in section["moments"]:
            detail = ", ".join(f"{k}: {v}" for k, v in m["detail"].items() if k != "run_id")
            who = f" · {_h(m['actor']['name'])}" if m.get("actor") else ""
            out.append(
                f"<p class='line'><a class='time' href='{_h(m['replay'])}'>"
                f"{_when(m['at'], with_date=False)}</a> "
                f"<b>{_h(MOMENT_LABELS.get(m['type'], m['type']))}</b>{who}"
                f"{' · ' + _h(detail) if detail else ''}</p>"
            )
        out.append("</div>")
    out.append(f"<p>Replay: <a href='{_h(section['replay'])}'>{_h(section['replay'])}</a></p>")
    return out


def _html_board(board: dict[str, Any] | None) -> list[str]:
    if board is None:
        return []
    if not board["svg"]:
        return ["<h2>Whiteboard</h2>", "<p class='muted'>The whiteboard was not used.</p>"]
    data = base64.b64encode(board["svg"].encode()).decode()
    return [
        "<h2>Whiteboard</h2>",
        f"<div class='board'><img src='data:image/svg+xml;base64,{data}' alt='Whiteboard'></div>",
    ]


def _only_data_urls() -> Any:
    """WeasyPrint's fetcher for the report: the images it embeds, nothing from the network.

    WeasyPrint 70 takes a ``URLFetcher`` (a plain function fails on the first image, such as
    the whiteboard's SVG); ``allowed_protocols`` refuses every URL that is not ``data:``.
    """
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    return URLFetcher(allowed_protocols={"data"})


def to_pdf(report: dict[str, Any]) -> bytes:
    """The PDF (blocking: call it in a worker thread)."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: pango's libraries are missing
        raise Unavailable(
            "PDF reports need pango on this server (make run installs it); "
            "Markdown and JSON reports work without it"
        ) from exc

    pdf: bytes = HTML(string=to_html(report), url_fetcher=_only_data_urls()).write_pdf()
    return pdf
