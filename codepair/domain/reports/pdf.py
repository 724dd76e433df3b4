"""The interview report as HTML, and the PDF WeasyPrint makes of it.

Everything that came from people in the room (names, chat, code, notes, comments) is escaped;
the PDF renderer fetches nothing but the ``data:`` images the report itself embeds.
"""

from __future__ import annotations

import base64
import html
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

from codepair.domain.errors import Unavailable
from codepair.domain.reports.labels import (
    MOMENT_LABELS,
    SCORE_LABELS,
    STATUS_LABELS,
    moment_detail,
    recommendation,
    when,
    with_replay_links,
)

RUN_LINES = 12  # lines of a run's output in the PDF (the JSON keeps more)
PDF_RUNS = 50  # the last runs shown in the PDF: each costs layout time (the JSON has them all)


def _html_links(text: str, base: str) -> str:
    """Escaped text whose replay links become links to the replay on this server."""
    return with_replay_links(
        text, _h, lambda label, path: f"<a href='{_h(base + path)}'>{_h(label)}</a>"
    )


def _h(text: Any) -> str:
    return html.escape(str(text))


@cache
def _prompt_renderer() -> MarkdownIt:
    # CommonMark with raw HTML off (a prompt's <script> or <img> is shown as text) and no
    # images (the PDF fetches nothing); links keep markdown-it's check, which refuses
    # javascript:, vbscript:, file: and data: URLs.
    return MarkdownIt("commonmark", {"html": False}).disable("image")


def _prompt_html(prompt: str) -> str:
    """A question's prompt, Markdown as the room shows it, rendered safely for the PDF."""
    rendered: str = _prompt_renderer().render(prompt)
    return rendered


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
.prompt p { margin: 3pt 0; }
.prompt ul, .prompt ol { margin: 3pt 0; padding-left: 14pt; }
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
            f"{when(room['scheduled_at']) if room['scheduled_at'] else 'Not scheduled'}"
            f" · {room['duration_minutes']} minutes",
        ),
        _row("Started / ended", f"{when(room['started_at'])} / {when(room['ended_at'])}"),
        _row("Interviewers", people),
        _row("Language", _h(report["code"]["language"])),
        "</table>",
    ]
    parts += _html_scorecards(report["scorecards"], report["base_url"])
    parts += _html_questions(report["questions"])
    code = report["code"]
    parts += ["<h2>Final code</h2>"]
    files = code.get("files") or [{"path": "", "text": code["text"]}]
    if len(files) > 1:
        entry = _h(code["entry"])
        parts += [f"<p class='muted'>{len(files)} files; the entry file is {entry}.</p>"]
    for file in files:
        if len(files) > 1:
            parts += [f"<h3>{_h(file['path'])}</h3>"]
        parts += [
            f"<pre>{_h(file['text'])}</pre>"
            if file["text"].strip()
            else "<p class='muted'>Empty.</p>"
        ]
    parts += _html_runs(report["runs"])
    parts += ["<h2>Chat</h2>"]
    if report["chat"]:
        parts.append("<div class='chat'>")
        for m in report["chat"]:
            parts.append(
                f"<p class='line'><span class='time'>{when(m['sent_at'], with_date=False)}</span>"
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
    parts += _html_ai(report.get("ai"))
    parts += _html_timeline(report["timeline"])
    parts += _html_board(report["board"])
    terminal = report.get("terminal")
    if terminal is not None:
        parts += ["<h2>Terminal</h2>", "<p class='muted'>The shared terminal's last screen.</p>",
                  f"<pre>{_h(terminal['last_screen'])}</pre>"]
    parts.append(f"<p class='muted'>Generated {when(report['generated_at'])}.</p></body></html>")
    return "".join(parts)


def _row(label: str, value: str) -> str:
    return f"<tr><th>{label}</th><td>{value}</td></tr>"


def _badge(rec: str | None) -> str:
    return f"<span class='badge rec-{rec or 'none'}'>{recommendation(rec)}</span>"


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
            out.append(f"<p class='muted'>Submitted {when(card['submitted_at'])}</p>")
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
            out.append(f"<div class='prompt'>{_prompt_html(q['prompt'])}</div>")
        last = q["last_test_run"]
        if last:
            out.append(
                f"<p>Tests: <b>{last['passed']} of {last['total']} passed</b> "
                f"<span class='muted'>({when(last['at'])})</span></p><table>"
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
            f"{when(run['created_at'], with_date=False)}</span> "
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
            detail = moment_detail(m["type"], m["detail"])
            who = f" · {_h(m['actor']['name'])}" if m.get("actor") else ""
            out.append(
                f"<p class='line'><a class='time' href='{_h(m['replay'])}'>"
                f"{when(m['at'], with_date=False)}</a> "
                f"<b>{_h(MOMENT_LABELS.get(m['type'], m['type']))}</b>{who}"
                f"{' · ' + _h(detail) if detail else ''}</p>"
            )
        out.append("</div>")
    out.append(f"<p>Replay: <a href='{_h(section['replay'])}'>{_h(section['replay'])}</a></p>")
    return out


def _html_ai(section: dict[str, Any] | None) -> list[str]:
    """The AI assistant's counts and transcript."""
    if section is None:
        return []
    parts = ["<h2>AI assistant</h2>"]
    if not section["messages"]:
        on = "on" if section.get("enabled") else "off"
        return [*parts, f"<p class='muted'>The assistant was {on} and not used.</p>"]
    c = section["counts"]
    parts.append(
        f"<p>Questions: {c['prompts']} ({c['prompts_by_candidate']} by the candidate, "
        f"{c['prompts_by_interviewers']} by interviewers, {c['private_prompts']} private). "
        f"Tokens: {c['tokens']}. Code inserted from answers: {c['insertions']} "
        f"({c['inserted_chars']} characters), {c['insertions_in_final_code']} still in the "
        "final code.</p>"
    )
    for m in section["messages"]:
        marks = " (private)" if m["private"] else ""
        parts.append(
            f"<p class='line'><span class='time'>{when(m['at'], with_date=False)}</span>"
            f" <b>{_h(m['author']['name'])}</b>{marks}</p><pre>{_h(m['text'])}</pre>"
        )
    return parts


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
