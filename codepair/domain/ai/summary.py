"""A drafted summary for the interviewer's scorecard, from the record.

:func:`record_facts` picks what the model may read: the room's title and times, the final
code, the runs and the tests' names with pass or fail (never a test's input or expected
output: hidden tests stay hidden), the activity counts and the shared AI conversation. It
never reads the notes, the questions' solutions, guidance or rubrics, or the scorecards.
The draft is the model's paragraph and a list of moments with ``?t=`` links into the replay,
which the server writes (a small model's links cannot be trusted). Nothing is submitted: the
interviewer pastes, edits and submits it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.interviews import Room, Run
from codepair.db.models.questions import RunTests
from codepair.db.models.record import RoomEvent
from codepair.domain.ai.prompt import code_context
from codepair.domain.ai.usage import ai_section
from codepair.domain.projects.tree import Tree

MAX_RUNS = 50
MAX_QUESTIONS = 30


@dataclass
class Facts:
    """The record as the model reads it, and the moments the draft links to."""

    text: str
    moments: list[tuple[datetime, str]] = field(default_factory=list)


def replay_link(base_url: str, room_id: str, at: datetime) -> str:
    return f"{base_url}/rooms/{room_id}/replay?t={quote(at.isoformat(), safe='')}"


async def record_facts(db: AsyncSession, room: Room, tree: Tree, *, code_max_chars: int) -> Facts:
    """What the summary's model is sent (see the module's docstring for what it never is)."""
    lines = [f"Interview: {room.title or 'untitled'}; language {room.language}."]
    if room.started_at is not None:
        end = room.ended_at.isoformat() if room.ended_at else "still open"
        lines.append(f"Started {room.started_at.isoformat()}, ended {end}.")
    moments: list[tuple[datetime, str]] = []
    runs = (
        await db.execute(
            select(Run.id, Run.status, Run.created_at, RunTests.passed, RunTests.total,
                   RunTests.results)
            .outerjoin(RunTests, RunTests.run_id == Run.id)
            .where(Run.room_id == room.id)
            .order_by(Run.created_at)
            .limit(MAX_RUNS)
        )
    ).all()
    statuses = Counter(r.status for r in runs)
    lines.append(
        f"Code runs: {len(runs)}"
        + (" (" + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) + ")" if runs else "")
        + "."
    )
    if runs:
        moments.append((runs[0].created_at, "first run"))
    for r in runs:
        if r.total is None:
            continue
        names = ", ".join(
            f"{t.get('name', '?')}{' (hidden)' if t.get('hidden') else ''}: "
            f"{'pass' if t.get('passed') else 'fail'}"
            for t in (r.results or [])
        )
        lines.append(f"Tests run at {r.created_at.isoformat()}: {r.passed} of {r.total} passed"
                     + (f" ({names})" if names else "") + ".")
        moments.append((r.created_at, f"tests: {r.passed} of {r.total} passed"))
    events = (
        await db.execute(
            select(RoomEvent.type, RoomEvent.at).where(
                RoomEvent.room_id == room.id,
                RoomEvent.type.in_(("paste", "focus_lost", "ai_insert")),
            )
        )
    ).all()
    kinds = Counter(e.type for e in events)
    lines.append(
        f"Pastes: {kinds['paste']}; times the candidate left the tab: {kinds['focus_lost']}."
    )
    usage = await ai_section(db, room.id, tree.files)
    counts = usage["counts"]
    lines.append(
        f"AI assistant: {counts['prompts_by_candidate']} question(s) by the candidate, "
        f"{counts['tokens']} tokens, {counts['insertions']} insertion(s) of answer code "
        f"({counts['insertions_in_final_code']} still in the final code)."
    )
    shared = [
        m for m in usage["messages"]
        if m["role"] == "user" and not m["private"]
    ][:MAX_QUESTIONS]
    for m in shared:
        lines.append(f"- {m['author']['role']} asked the assistant: {m['text'][:300]}")
        moments.append((datetime.fromisoformat(m["at"]), "asked the AI assistant"))
    if room.ended_at is not None:
        moments.append((room.ended_at, "ended"))
    lines.append("")
    lines.append(code_context(tree, code_max_chars))
    moments.sort(key=lambda m: m[0])
    return Facts("\n".join(lines), moments)


def draft(model_text: str, facts: Facts, *, base_url: str, room_id: str) -> str:
    """The model's paragraph, then the moments with links into the replay."""
    out = [model_text.strip() or "(The model wrote nothing; the moments below are the record's.)"]
    if facts.moments:
        out += ["", "Moments:"]
        out += [
            f"- {at.strftime('%H:%M')} {label}: {replay_link(base_url, room_id, at)}"
            for at, label in facts.moments[:20]
        ]
    return "\n".join(out)
