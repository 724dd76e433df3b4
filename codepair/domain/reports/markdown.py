"""The interview report as Markdown.

Everything that came from people in the room (names, chat, code, comments, summaries) is text,
escaped; the notes come rendered by :mod:`codepair.domain.reports.notes`. A question's prompt is
Markdown by design and goes in as its author wrote it (docs/scorecards.md).
"""

from __future__ import annotations

import re
from typing import Any

from codepair.domain.reports.labels import (
    MOMENT_LABELS,
    SCORE_LABELS,
    STATUS_LABELS,
    moment_detail,
    plural,
    recommendation,
    when,
    with_replay_links,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#<>|])")


def _md_links(text: str, base: str) -> str:
    """Markdown-escaped text whose replay links stay links (absolute)."""
    return with_replay_links(text, _md, lambda label, path: f"[{_md(label)}](<{base}{path}>)")


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


#: A file's fence language from its extension (the entry file's is the room's language).
_FENCE_LANGUAGES = {
    "py": "python", "js": "javascript", "mjs": "javascript", "jsx": "jsx", "ts": "typescript",
    "tsx": "tsx", "java": "java", "go": "go", "c": "c", "h": "c", "cpp": "cpp", "cc": "cpp",
    "hpp": "cpp", "rs": "rust", "sh": "bash", "json": "json", "md": "markdown", "html": "html",
    "css": "css", "toml": "toml", "yaml": "yaml", "yml": "yaml", "xml": "xml",
}


def fence_language(path: str) -> str:
    """The code fence's language for a file, from its extension ("" when unknown)."""
    name = path.rsplit("/", 1)[-1]
    return _FENCE_LANGUAGES.get(name.rsplit(".", 1)[-1].lower(), "") if "." in name else ""


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
        f"- Scheduled: {when(room['scheduled_at'])} ({room['duration_minutes']} minutes)",
        f"- Started: {when(room['started_at'])}",
        f"- Ended: {when(room['ended_at'])}",
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
                    f"Tests: **{last['passed']} of {last['total']} passed** ({when(last['at'])})",
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
    files = code.get("files") or [{"path": "", "text": code["text"]}]
    if len(files) > 1:
        out += [f"{len(files)} files; the entry file is `{_md(code['entry'])}`.", ""]
    for file in files:
        if len(files) > 1:
            out += [f"### {_md(file['path'])}", ""]
        lang = code["language"] if file["path"] in ("", code.get("entry")) else fence_language(
            file["path"]
        )
        out += [_fence(file["text"], lang) if file["text"].strip() else "(empty)", ""]
    out += ["## Runs", ""]
    if not report["runs"]:
        out += ["No code was run.", ""]
    for run in report["runs"]:
        tests = run["tests"]
        head = (
            f"- {when(run['created_at'])}, {_md(run['author']['name'])}: {run['language']}, "
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
            f"- {when(m['sent_at'], with_date=False)} **{_md(m['author']['name'])}**"
            f" ({m['author']['role']}): {_md(m['text'])}"
        )
    out += ["", "## Interviewers' notes", ""]
    out += [report["notes"]["markdown"] or "No notes.", ""]
    out += _md_ai(report.get("ai"))
    out += _md_timeline(report["timeline"])
    board = report["board"]
    if board is not None:
        out += ["## Whiteboard", ""]
        out += [
            f"{plural(board['elements'], 'element')}; the PDF report shows the board."
            if board["elements"]
            else "The whiteboard was not used.",
            "",
        ]
    terminal = report.get("terminal")
    if terminal is not None:
        out += ["## Terminal", "", "The shared terminal's last screen:", ""]
        out += [_fence(terminal["last_screen"] or "(empty)"), ""]
    out += ["---", f"Generated {when(report['generated_at'])}.", ""]
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
        rec = recommendation(card["recommendation"])
        out += [
            f"### {_md(card['interviewer']['name'])}: {rec} ({state})",
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
            f"- [{when(m['at'], with_date=False)}]({m['replay']}) "
            f"{MOMENT_LABELS.get(m['type'], m['type'])}{who}{_md_detail(m['type'], m['detail'])}"
        )
    out += ["", f"Replay: <{section['replay']}>", ""]
    return out


def _md_detail(kind: str, detail: dict[str, Any]) -> str:
    text = moment_detail(kind, detail)
    return (": " + _md(text)) if text else ""


def _md_ai(section: dict[str, Any] | None) -> list[str]:
    """The AI assistant's counts and transcript (answers fenced: they hold Markdown)."""
    if section is None:
        return []
    c = section["counts"]
    out = ["## AI assistant", ""]
    if not section["messages"]:
        on = "on" if section.get("enabled") else "off"
        return [*out, f"The assistant was {on} and not used.", ""]
    out += [
        f"- Questions: {c['prompts']} ({c['prompts_by_candidate']} by the candidate, "
        f"{c['prompts_by_interviewers']} by interviewers, {c['private_prompts']} private)",
        f"- Tokens: {c['tokens']}; answers that failed: {c['answers_failed']}",
        f"- Code inserted from answers: {plural(c['insertions'], 'insertion')}, "
        f"{c['inserted_chars']} characters; {c['insertions_in_final_code']} still in the "
        "final code",
        "",
        "### Transcript",
        "",
    ]
    for m in section["messages"]:
        who = f"{_md(m['author']['name'])} ({m['author']['role']})"
        marks = [label for label, on in (("private", m["private"]),
                                         ("with the code", m["include_code"]),
                                         (m["status"], m["status"] != "ok")) if on]
        head = f"**{when(m['at'], with_date=False)} {who}**" + (
            f" _{', '.join(marks)}_" if marks else "")
        out += [head, "", _fence(m["text"]), ""]
    return out
