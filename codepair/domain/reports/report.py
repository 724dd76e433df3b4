"""The interview report: one dict for a room, which Markdown, PDF and JSON are rendered from.

It holds the candidate, the schedule, the interviewers, the questions with the final code (every
file of the project) and
their test results, the runs, the chat, the notes (plain and rich text), the scorecards (with
the same visibility as the scorecards endpoint: the reader's own, the others' once the reader
has submitted, all for a lead), a summary of the timeline with links into the replay, and the
final whiteboard, and the AI assistant's transcript and counts (docs/ai.md). Sections that
come from other areas' modules (questions, timeline, board) are built only when those modules
are installed here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pycrdt import Doc, Text
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.interviews import ChatMessage, Room, Run
from codepair.domain.ai.usage import ai_section
from codepair.domain.interviews import rooms
from codepair.domain.projects.tree import read_tree
from codepair.domain.reports import scorecards
from codepair.domain.reports.notes import render_notes
from codepair.domain.reports.scorecards import optional_module
from codepair.domain.terminal.cast import last_screen, room_chunks
from codepair.security.tokens import Principal

MAX_RUNS = 200
MAX_CHAT = 5000
MAX_OUTPUT = 4000  # characters of a run's stdout or stderr kept in the report
MAX_MOMENTS = 200
# Timeline events worth a link into the replay (the rest are counted only).
MOMENT_TYPES = (
    "paste", "focus_lost", "focus_returned", "run", "question", "language", "ended",
    "file_created", "file_renamed", "file_deleted", "files_changed", "files_imported",
)


@dataclass(frozen=True)
class Documents:
    """The room's Yjs documents as they stand (``board`` is None without the whiteboard)."""

    code: Doc[Any]
    notes: Doc[Any]
    board: Doc[Any] | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clip(text: str, limit: int = MAX_OUTPUT) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more]"


def replay_link(base_url: str, room_id: str, at: datetime | str) -> str:
    """The replay page of the room at a moment: ``/rooms/{id}/replay?t=...``."""
    t = at if isinstance(at, str) else at.isoformat()
    return f"{base_url}/rooms/{room_id}/replay?t={quote(t, safe='')}"


async def build_report(
    db: AsyncSession,
    principal: Principal,
    room: Room,
    docs: Documents,
    *,
    base_url: str,
) -> dict[str, Any]:
    """The report of ``room`` as ``principal`` may read it (``room`` loaded with its people)."""
    code_text = str(docs.code.get("code", type=Text))
    notes = render_notes(docs.notes)
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(),
        "base_url": base_url,
        "room": {
            "id": room.id,
            "title": room.title,
            "candidate_name": room.candidate_name,
            "status": rooms.status_of(room),
            "language": _language(docs.code) or room.language,
            "scheduled_at": _iso(room.scheduled_at),
            "duration_minutes": room.duration_minutes,
            "created_at": _iso(room.created_at),
            "started_at": _iso(room.started_at),
            "ended_at": _iso(room.ended_at),
            "url": f"{base_url}/rooms/{room.id}",
        },
        "interviewers": [
            {"id": u.id, "name": u.name, "email": u.email, "role": role}
            for u, role in [(room.owner, "owner")]
            + [(ri.user, "co-interviewer") for ri in room.interviewers]
        ],
        "code": _code(docs.code, _language(docs.code) or room.language, code_text),
        "notes": {"text": notes.text, "html": notes.html, "markdown": notes.markdown},
    }
    report["runs"] = await _runs(db, room.id)
    report["questions"] = await _questions(db, room.id, report["runs"])
    report["chat"] = await _chat(db, room.id)
    report["scorecards"] = _scorecards_section(await scorecards.visible_cards(db, principal, room))
    report["timeline"] = await _timeline(db, room.id, base_url)
    report["board"] = _board(docs.board)
    report["terminal"] = await terminal_section(db, room.id)
    # The AI assistant's whole conversation (private questions marked) and its counts.
    report["ai"] = await ai_section(db, room.id, read_tree(docs.code, room.language).files)
    report["ai"]["enabled"] = room.ai_assistant == "on"
    return report


async def terminal_section(db: AsyncSession, room_id: str) -> dict[str, Any] | None:
    """The shared terminal's last screen as text (docs/terminal.md); None if never opened."""
    chunks = await room_chunks(db, room_id)
    if not chunks:
        return None
    return {"last_screen": last_screen(chunks), "cast": f"/api/rooms/{room_id}/terminal.cast"}


def _code(code: Doc[Any], language: str, text: str) -> dict[str, Any]:
    """The final code: the entry file's text (``text``, as a one-file room always had it) and
    every file of the project's tree, the entry first (hidden files are never in the tree)."""
    tree = read_tree(code, language)
    files = [{"path": tree.entry, "text": text}]
    files += [{"path": p, "text": t} for p, t in tree.files.items() if p != tree.entry]
    return {"language": language, "text": text, "entry": tree.entry, "files": files}


def _language(code: Doc[Any]) -> str | None:
    from pycrdt import Map

    value = code.get("meta", type=Map).get("language")
    return value if isinstance(value, str) else None


async def _runs(db: AsyncSession, room_id: str) -> list[dict[str, Any]]:
    rows = list(
        (
            await db.scalars(
                select(Run)
                .where(Run.room_id == room_id)
                .order_by(Run.created_at.desc(), Run.id)
                .limit(MAX_RUNS)
            )
        ).all()
    )
    rows.reverse()  # oldest first, as the interview went
    tests = await _test_results(db, room_id)
    return [
        {
            "id": run.id,
            "language": run.language,
            "status": run.status,
            "author": {"name": run.author_name, "role": run.author_role},
            "created_at": _iso(run.created_at),
            "finished_at": _iso(run.finished_at),
            "exit_code": run.exit_code,
            "wall_ms": run.wall_ms,
            "code": _clip(run.code, 20_000),
            "stdin": _clip(run.stdin),
            "stdout": _clip(run.stdout),
            "stderr": _clip(run.stderr or run.compile_output),
            "tests": tests.get(run.id),
        }
        for run in rows
    ]


async def _test_results(db: AsyncSession, room_id: str) -> dict[str, dict[str, Any]]:
    """Test results of the room's test runs, by run id (when the questions module is here)."""
    models = optional_module("codepair.db.models.questions")
    run_tests = getattr(models, "RunTests", None) if models is not None else None
    if run_tests is None:
        return {}
    rows = (await db.scalars(select(run_tests).where(run_tests.room_id == room_id))).all()
    return {
        row.run_id: {
            "room_question_id": row.room_question_id,
            "passed": row.passed,
            "total": row.total,
            "results": [
                {
                    "name": str(r.get("name", "")),
                    "hidden": bool(r.get("hidden")),
                    "passed": bool(r.get("passed")),
                    "status": r.get("status"),
                }
                for r in row.results
            ],
        }
        for row in rows
    }


async def _questions(
    db: AsyncSession, room_id: str, runs: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    questions = optional_module("codepair.domain.questions.bank")
    if questions is None or not hasattr(questions, "room_questions_for_report"):
        return None
    out = []
    for q in await questions.room_questions_for_report(db, room_id):
        tested = [r for r in runs if r["tests"] and r["tests"]["room_question_id"] == q.get("id")]
        last = tested[-1] if tested else None
        out.append(
            {
                "id": q.get("id"),
                "title": q.get("title", ""),
                "difficulty": q.get("difficulty"),
                "tags": list(q.get("tags") or []),
                "prompt": q.get("prompt", ""),
                "rubric": list(q.get("rubric") or []),
                "presented_at": _iso_any(q.get("presented_at")),
                "last_test_run": {
                    "run_id": last["id"],
                    "at": last["created_at"],
                    "code": last["code"],
                    "language": last["language"],
                    **{k: last["tests"][k] for k in ("passed", "total", "results")},
                }
                if last is not None
                else None,
            }
        )
    return out


def _iso_any(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value is not None else None


async def _chat(db: AsyncSession, room_id: str) -> list[dict[str, Any]]:
    rows = (
        await db.scalars(
            select(ChatMessage)
            .where(ChatMessage.room_id == room_id)
            .order_by(ChatMessage.id)
            .limit(MAX_CHAT)
        )
    ).all()
    return [
        {
            "author": {"name": m.author_name, "role": m.author_role},
            "text": m.text,
            "sent_at": _iso(m.sent_at),
        }
        for m in rows
    ]


def _scorecards_section(visible: dict[str, Any]) -> dict[str, Any]:
    items = [
        {
            **card,
            "submitted_at": _iso(card["submitted_at"]),
            "updated_at": _iso(card["updated_at"]),
        }
        for card in visible["items"]
    ]
    return {
        "items": items,
        "criteria": visible["criteria"],
        "progress": visible["progress"],
        "others_hidden": visible["others_hidden"],
    }


async def _timeline(db: AsyncSession, room_id: str, base_url: str) -> dict[str, Any] | None:
    timeline = optional_module("codepair.domain.record.timeline")
    if timeline is None or not hasattr(timeline, "room_timeline"):
        return None
    events = await timeline.room_timeline(db, room_id)
    counts = Counter(str(e.get("type")) for e in events)
    moments = []
    for e in events:
        if e.get("type") not in MOMENT_TYPES:
            continue
        at = e.get("at")
        at_text = _iso_any(at) or ""
        detail = {
            k: e[k]
            for k in (
                "title", "status", "language", "chars", "away_seconds", "run_id", "passed",
                "total",
            )
            if k in e and e[k] is not None
        }
        actor = e.get("actor") or None
        moments.append(
            {
                "at": at_text,
                "type": e.get("type"),
                "actor": actor,
                "detail": detail,
                "replay": replay_link(base_url, room_id, at_text),
            }
        )
    return {
        "counts": dict(sorted(counts.items())),
        "moments": moments[-MAX_MOMENTS:],
        "replay": f"{base_url}/rooms/{room_id}/replay",
    }


def _board(doc: Doc[Any] | None) -> dict[str, Any] | None:
    board = optional_module("codepair.domain.record.board")
    if doc is None or board is None:
        return None
    elements = board.board_elements(doc)
    if not elements:
        return {"elements": 0, "svg": None}
    return {"elements": len(elements), "svg": board.board_svg(elements)}
