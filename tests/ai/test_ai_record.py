"""The assistant on the record: code taken from answers, the report's transcript and counts
in all three formats, and the replay's data (the timeline's ``ai`` events)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.ai.aisupport import collect, error_of
from tests.scorecards.roomfill import code_doc, write_doc
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server


@pytest.fixture(scope="module")
def owner(ai_server: Server) -> Actor:
    return create_user(ai_server, bootstrap_lead(ai_server), name="Olga Owner")


async def test_insertions_transcript_and_counts_reach_the_report(
    ai_server: Server, owner: Actor
) -> None:
    room = create_room(ai_server, owner, ai_assistant="on")
    cand = join(ai_server, room)
    async with events(ai_server, room["id"], cand.token) as ev:
        await ev.next("welcome")
        await ev.send({"type": "ai.ask", "text": "Write a Python hello world."})
        ex = await collect(ev)
        assert ex.answer is not None and ex.answer["text"].strip()
        answer = ex.answer["text"]
        words = answer.split()
        kept, dropped = words[0], " ".join(words[1:3]) or words[0]
        # Text that is not in the answer is refused, and so is an unknown answer.
        await ev.send({"type": "ai.insert", "id": ex.answer["id"], "text": "NOT-IN-ANSWER-1"})
        assert (await error_of(ev))["code"] == "invalid_message"
        await ev.send({"type": "ai.insert", "id": "nope", "text": kept})
        assert (await error_of(ev))["code"] == "invalid_message"
        await ev.send({"type": "ai.insert", "id": ex.answer["id"], "text": kept})
        await ev.send({"type": "ai.insert", "id": ex.answer["id"], "text": dropped})
        await ev.send({"type": "chat.send", "text": "sync"})  # in order: after the inserts
        await ev.next("chat.message")
    # The final code holds the first insertion only.
    await write_doc(ai_server, room["id"], owner.token, "code", code_doc(f"x = 1\n{kept}\n"))
    with client(ai_server) as c:
        url = f"/api/rooms/{room['id']}/report"
        data = c.get(url, params={"format": "json"}, headers=owner.headers).json()
        md = c.get(url, params={"format": "md"}, headers=owner.headers).text
        pdf = c.get(url, params={"format": "pdf"}, headers=owner.headers).content
    ai = data["ai"]
    assert [m["role"] for m in ai["messages"]] == ["user", "assistant"]
    assert ai["messages"][1]["text"] == answer
    counts = ai["counts"]
    assert counts["prompts"] == 1 and counts["prompts_by_candidate"] == 1
    assert counts["tokens"] == ex.answer["tokens"] > 0
    assert counts["insertions"] == 2
    assert counts["inserted_chars"] == len(kept) + len(dropped)
    reached = [i["reached_final_code"] for i in ai["insertions"]]
    if kept != dropped and dropped not in f"x = 1\n{kept}\n":
        assert reached == [True, False] and counts["insertions_in_final_code"] == 1
    assert "## AI assistant" in md and "Write a Python hello world." in md
    assert "Code inserted from answers: 2 insertions" in md
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "AI assistant" in text and "Write a Python hello world." in text


def test_an_unused_assistant_says_so(ai_server: Server, owner: Actor) -> None:
    room = create_room(ai_server, owner)
    with client(ai_server) as c:
        md = c.get(f"/api/rooms/{room['id']}/report", params={"format": "md"},
                   headers=owner.headers).text
    assert "The assistant was off and not used." in md
