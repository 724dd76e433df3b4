"""What the model is sent: the one place that builds it.

Everything the model sees goes through :func:`ask_messages` or :func:`summary_messages`:
the lead's default system prompt and the room's own, the conversation so far, the question,
and the code when the asker asked for it. Nothing here reads the database: callers hand in
the room's prompt, the conversation, the tree and the record's facts, so what can reach the
model is visible in the arguments. Hidden tests, hidden files, solutions, guidance, rubrics,
notes and scorecards have no parameter here, and that is the guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from codepair.domain.projects.tree import Tree

Role = Literal["user", "assistant"]
ChatMessage = dict[str, str]  # {"role", "content"}: the OpenAI chat format


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of the conversation."""

    role: Role
    text: str


def system_prompt(default: str, room: str) -> str:
    """The lead's default instructions, then the room's own (both optional)."""
    parts = [p.strip() for p in (default, room) if p and p.strip()]
    return "\n\n".join(parts)


def code_context(tree: Tree, max_chars: int) -> str:
    """The project as the model reads it: each file under its path, the entry file first,
    cut at ``max_chars`` (the rest is named, so the model knows it was not shown)."""
    order = [tree.entry, *(p for p in tree.files if p != tree.entry)]
    out: list[str] = [f"The current code ({len(order)} file(s); the entry file is {tree.entry}):"]
    used = 0
    left_out: list[str] = []
    for path in order:
        text = tree.files.get(path, "")
        if used + len(text) > max_chars:
            room = max_chars - used
            if room <= 0:
                left_out.append(path)
                continue
            text = text[:room] + "\n[... cut]"
        used += len(text)
        out.append(f"--- {path}\n```\n{text}\n```")
    if left_out:
        out.append("Not shown (too long): " + ", ".join(left_out))
    return "\n".join(out)


def ask_messages(
    *,
    default_prompt: str,
    room_prompt: str,
    history: Sequence[Turn],
    question: str,
    code: Tree | None,
    code_max_chars: int,
) -> list[ChatMessage]:
    """The chat request for one question: system, the conversation, then the question (with
    the code above it when ``code`` is given)."""
    messages: list[ChatMessage] = []
    system = system_prompt(default_prompt, room_prompt)
    if system:
        messages.append({"role": "system", "content": system})
    for turn in history:
        if turn.text:
            messages.append({"role": turn.role, "content": turn.text})
    content = question
    if code is not None:
        content = f"{code_context(code, code_max_chars)}\n\n{question}"
    messages.append({"role": "user", "content": content})
    return messages


SUMMARY_INSTRUCTIONS = (
    "You draft the summary of a technical interview for the interviewer's scorecard. From "
    "the facts below, write three to six short sentences: what the candidate built, how "
    "the tests went, how they used the AI assistant. Be factual and neutral; do not invent "
    "anything that is not in the facts. The interviewer will edit your draft."
)


def summary_messages(*, default_prompt: str, facts: str) -> list[ChatMessage]:
    """The chat request for a drafted summary: the record's facts (see
    :mod:`codepair.domain.ai.summary`), never the notes, rubric or scorecards."""
    del default_prompt  # the candidate-facing prompt does not apply to the interviewer's draft
    return [
        {"role": "system", "content": SUMMARY_INSTRUCTIONS},
        {"role": "user", "content": facts},
    ]
