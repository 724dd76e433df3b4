"""What both renderings of the interview report say the same way: labels, times, links.

:mod:`codepair.domain.reports.markdown` and :mod:`codepair.domain.reports.pdf` render the one
dict of :func:`codepair.domain.reports.report.build_report`; what a score, a run's status or a
moment is called, and how a time reads, is decided here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from codepair.domain.reports.scorecards import RECOMMENDATION_LABELS

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
    "focus_returned": "Came back",
    "file_created": "File created",
    "file_renamed": "File renamed",
    "file_deleted": "File deleted",
    "files_changed": "Files changed",
    "files_imported": "Files imported",
}


def when(value: str | None, *, with_date: bool = True) -> str:
    """An ISO time as the report shows it (UTC), or a dash for none."""
    if not value:
        return "—"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dt.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M:%S")


def plural(count: int, one: str, many: str | None = None) -> str:
    """A count with its noun: ``1 element``, ``2 elements`` (``many`` when not ``one + "s"``)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def away(seconds: float) -> str:
    """How long a tab was away, as the live indicator says it: ``40 s``, ``3 min``."""
    return f"{round(seconds / 60)} min" if seconds >= 90 else f"{round(seconds)} s"


def moment_detail(kind: str, detail: dict[str, Any]) -> str:
    """What a timeline moment adds to its label, in words (plain text; each rendering escapes
    it): a tests run's pass count, how long the tab was away, a paste's size."""
    parts: list[str] = []
    if kind == "run":
        if "status" in detail:
            parts.append(STATUS_LABELS.get(str(detail["status"]), str(detail["status"])))
        if "total" in detail:
            parts.append(f"{detail.get('passed', 0)} of {plural(detail['total'], 'test')} passed")
    elif kind == "focus_returned" and "away_seconds" in detail:
        parts.append(f"after {away(float(detail['away_seconds']))} away")
    elif kind == "paste" and "chars" in detail:
        parts.append(plural(int(detail["chars"]), "character"))
    elif kind == "file_renamed" and "from" in detail:
        parts.append(f"{detail['from']} to {detail.get('path', '')}")
    elif kind in ("files_imported", "files_changed") and "paths" in detail:
        parts.append(", ".join(str(p) for p in detail["paths"][:5]))
    shown = {"status", "passed", "total", "away_seconds", "chars", "run_id", "from", "entry"}
    if kind == "file_renamed":
        shown.add("path")
    if kind in ("files_imported", "files_changed"):
        shown.add("paths")
    parts += [f"{k}: {v}" for k, v in detail.items() if k not in shown]
    return ", ".join(parts)


def recommendation(value: str | None) -> str:
    """A recommendation's label, or a dash for none."""
    return RECOMMENDATION_LABELS.get(value or "", "—")


# A replay link as the web client writes it into a comment: [label](/rooms/ID/replay?t=...).
REPLAY_LINK = re.compile(r"\[([^\]\n]{1,80})\]\((/rooms/[\w-]+/replay\?t=[\w%.:+-]+)\)")


def with_replay_links(
    text: str, escape: Callable[[str], str], link: Callable[[str, str], str]
) -> str:
    """``text`` escaped by ``escape``, but each replay link in it made by ``link(label,
    path)``: a comment's links stay links in both renderings."""
    out, last = [], 0
    for m in REPLAY_LINK.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(link(m.group(1), m.group(2)))
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)
