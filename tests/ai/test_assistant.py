"""The assistant in the room against a real model (Gemma 3 270M on llama-cpp-python):
streaming to the asker and the interviewers, private questions, the room's switch, the
record, and what the model was sent (read from the recording proxy, not from CodePair)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.ai.aisupport import ai_kinds, collect, error_of
from tests.ai.conftest import MODEL_NAME
from tests.ai.proxy import RecordingProxy
from tests.questions.qsupport import SENTINELS, create_question
from tests.scorecards.roomfill import code_doc, write_doc
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server

NOTES_SENTINEL = "SENTINEL-NOTES-91fe"
SCORECARD_SENTINEL = "SENTINEL-SCORECARD-55ab"
CODE_MARK = "def shout_it_marker_3f2a(line):"
ROOM_PROMPT = "Explain, don't hand over full solutions. ROOM-PROMPT-MARK-0c1d"


@pytest.fixture(scope="module")
def lead(ai_server: Server) -> Actor:
    return bootstrap_lead(ai_server)


@pytest.fixture(scope="module")
def owner(ai_server: Server, lead: Actor) -> Actor:
    return create_user(ai_server, lead, name="Olga Owner")


def _room(srv: Server, owner: Actor, **fields: Any) -> dict[str, Any]:
    return create_room(srv, owner, **fields)


def test_get_ai_names_the_model_and_needs_a_token(ai_server: Server, owner: Actor) -> None:
    room = _room(ai_server, owner)
    cand = join(ai_server, room)
    with client(ai_server) as c:
        assert c.get("/api/ai").status_code == 401
        for who in (owner, cand):
            r = c.get("/api/ai", headers=who.headers)
            assert r.status_code == 200
            assert r.json() == {"enabled": True, "model": MODEL_NAME}


def test_the_room_setting_on_create_patch_and_the_candidates_view(
    ai_server: Server, owner: Actor
) -> None:
    room = _room(ai_server, owner)
    assert room["ai_assistant"] == "off" and room["ai_prompt"] == ""
    room = _room(ai_server, owner, ai_assistant="on", ai_prompt="  Be brief.  ")
    assert room["ai_assistant"] == "on" and room["ai_prompt"] == "Be brief."
    cand = join(ai_server, room)
    with client(ai_server) as c:
        seen = c.get(f"/api/rooms/{room['id']}", headers=cand.headers).json()
        assert seen["ai_assistant"] == "on" and "ai_prompt" not in seen
        listed = c.get("/api/rooms", headers=owner.headers).json()["items"]
        assert {r["id"]: r["ai_assistant"] for r in listed}[room["id"]] == "on"
        r = c.patch(f"/api/rooms/{room['id']}", headers=owner.headers,
                    json={"ai_assistant": "off"})
        assert r.status_code == 200 and r.json()["ai_assistant"] == "off"
        r = c.patch(f"/api/rooms/{room['id']}", headers=owner.headers,
                    json={"ai_assistant": "maybe"})
        assert r.status_code == 422
        r = c.patch(f"/api/rooms/{room['id']}", headers=cand.headers,
                    json={"ai_assistant": "on"})
        assert r.status_code in (401, 403)


async def test_a_candidates_question_streams_to_them_and_to_the_interviewers(
    ai_server: Server, owner: Actor, proxy: RecordingProxy
) -> None:
    room = _room(ai_server, owner, ai_assistant="on")
    cand = join(ai_server, room)
    async with (
        events(ai_server, room["id"], cand.token) as c_ev,
        events(ai_server, room["id"], owner.token) as i_ev,
    ):
        await c_ev.next("welcome")
        await i_ev.next("welcome")
        await c_ev.send({"type": "ai.ask", "text": "What is a Python list? One sentence."})
        mine, theirs = await asyncio.gather(collect(c_ev), collect(i_ev))
    for ex in (mine, theirs):
        assert ex.question["text"] == "What is a Python list? One sentence."
        assert ex.question["author"] == {"name": "Cody", "role": "candidate"}
        assert ex.answer is not None and ex.answer["status"] == "ok", ex
        assert ex.deltas, "the answer came in pieces"
        assert "".join(d["text"] for d in ex.deltas) == ex.answer["text"]
        assert {d["id"] for d in ex.deltas} == {ex.answer["id"]}
        assert ex.answer["reply_to"] == ex.question["id"]
        assert ex.answer["tokens"] > 0 and not ex.answer["private"]
    assert mine.answer == theirs.answer
    # Stored: the conversation for both, and on the timeline.
    with client(ai_server) as c:
        for who in (cand, owner):
            items = c.get(f"/api/rooms/{room['id']}/ai/messages", headers=who.headers).json()
            assert [m["role"] for m in items["items"]] == ["user", "assistant"]
            assert items["items"][1]["text"] == mine.answer["text"]
        timeline = c.get(f"/api/rooms/{room['id']}/timeline", headers=owner.headers).json()
    ai = [e for e in timeline["events"] if e["type"] == "ai"]
    assert [(e["role"], e["text"]) for e in ai] == [
        ("user", mine.question["text"]), ("assistant", mine.answer["text"])
    ]
    assert ai[0]["actor"] == {"name": "Cody", "role": "candidate"}


async def test_a_private_interviewer_question_never_reaches_the_candidate(
    ai_server: Server, owner: Actor, lead: Actor
) -> None:
    room = _room(ai_server, owner, ai_assistant="on")
    cand = join(ai_server, room)
    async with (
        events(ai_server, room["id"], cand.token) as c_ev,
        events(ai_server, room["id"], owner.token) as i_ev,
        events(ai_server, room["id"], lead.token) as l_ev,
    ):
        for ev in (c_ev, i_ev, l_ev):
            await ev.next("welcome")
        await i_ev.send({"type": "ai.ask", "text": "PRIVATE-Q-77 explain this loop",
                         "private": True})
        mine, lead_saw = await asyncio.gather(collect(i_ev), collect(l_ev))
        assert mine.answer is not None and mine.answer["private"] is True
        assert lead_saw.answer == mine.answer
        # A candidate may not ask privately.
        await c_ev.send({"type": "ai.ask", "text": "hi", "private": True})
        assert (await error_of(c_ev))["code"] == "forbidden"
        # Then a question of the candidate's: the candidate's socket sees it and nothing before.
        await c_ev.send({"type": "ai.ask", "text": "Say hello."})
        await collect(c_ev)
        assert ai_kinds(c_ev) == []
    with client(ai_server) as c:
        seen = c.get(f"/api/rooms/{room['id']}/ai/messages", headers=cand.headers).json()
        assert "PRIVATE-Q-77" not in str(seen) and len(seen["items"]) == 2
        everything = c.get(f"/api/rooms/{room['id']}/ai/messages", headers=owner.headers).json()
        assert len(everything["items"]) == 4
        assert [m["private"] for m in everything["items"]] == [True, True, False, False]


async def test_off_refuses_and_sends_the_model_nothing(
    ai_server: Server, owner: Actor, proxy: RecordingProxy
) -> None:
    room = _room(ai_server, owner)  # off by default
    cand = join(ai_server, room)
    before = len(proxy.requests)
    async with events(ai_server, room["id"], cand.token) as ev:
        await ev.next("welcome")
        await ev.send({"type": "ai.ask", "text": "Write my code"})
        err = await error_of(ev)
        assert err["code"] == "ai_off" and "off" in err["message"]
        # Turned on live: the next question is answered.
        with client(ai_server) as c:
            r = c.patch(f"/api/rooms/{room['id']}", headers=owner.headers,
                        json={"ai_assistant": "on"})
            assert r.status_code == 200
        assert len(proxy.requests) == before
        await ev.send({"type": "ai.ask", "text": "Say yes."})
        ex = await collect(ev)
        assert ex.answer is not None and ex.answer["status"] == "ok"


async def test_stranger_and_another_rooms_token_cannot_read_the_conversation(
    ai_server: Server, owner: Actor, lead: Actor
) -> None:
    room = _room(ai_server, owner, ai_assistant="on")
    other = _room(ai_server, owner, ai_assistant="on")
    other_cand = join(ai_server, other)
    stranger = create_user(ai_server, lead, name="Stan Stranger")
    with client(ai_server) as c:
        url = f"/api/rooms/{room['id']}/ai/messages"
        assert c.get(url).status_code == 401
        assert c.get(url, headers=stranger.headers).status_code == 404
        assert c.get(url, headers=other_cand.headers).status_code in (403, 404)
        summary = f"/api/rooms/{room['id']}/ai/summary"
        assert c.post(summary, headers=stranger.headers).status_code == 404
        assert c.post(summary, headers=other_cand.headers).status_code in (401, 403, 404)
        cand = join(ai_server, room)
        assert c.post(summary, headers=cand.headers).status_code in (401, 403)


async def test_the_model_is_sent_the_prompts_the_code_when_asked_and_never_a_secret(
    ai_server: Server, owner: Actor, proxy: RecordingProxy
) -> None:
    """Hidden tests, hidden files, the solution, guidance, rubric, notes and scorecards are
    in the room; none of them is in any request the model gets, for the candidate's
    questions, an interviewer's private one with the code, or the drafted summary."""
    question = create_question(ai_server, owner)
    room = _room(ai_server, owner, ai_assistant="on", ai_prompt=ROOM_PROMPT,
                 question_ids=[question["id"]])
    with client(ai_server) as c:
        rq = c.get(f"/api/rooms/{room['id']}/questions", headers=owner.headers).json()["items"][0]
        r = c.post(f"/api/rooms/{room['id']}/questions/{rq['id']}/present", headers=owner.headers)
        assert r.status_code == 200, r.text
        r = c.put(f"/api/rooms/{room['id']}/scorecards/me", headers=owner.headers,
                  json={"ratings": [], "summary": SCORECARD_SENTINEL})
        assert r.status_code == 200, r.text
    await write_doc(ai_server, room["id"], owner.token, "code",
                    code_doc(f"{CODE_MARK}\n    return line.upper()\n"))
    notes: Doc[Any] = Doc()
    para = notes.get("default", type=XmlFragment).children.append(XmlElement("paragraph"))
    para.children.append(XmlText(NOTES_SENTINEL))
    await write_doc(ai_server, room["id"], owner.token, "notes", notes)
    with client(ai_server) as c:  # a tests run: its results (names, pass/fail) are facts
        r = c.post(f"/api/rooms/{room['id']}/runs", headers=owner.headers,
                   json={"tests": True})
        assert r.status_code in (200, 201, 202), r.text
    cand = join(ai_server, room)
    since = len(proxy.requests)
    async with (
        events(ai_server, room["id"], cand.token) as c_ev,
        events(ai_server, room["id"], owner.token) as i_ev,
    ):
        await c_ev.next("welcome")
        await i_ev.next("welcome")
        await c_ev.send({"type": "ai.ask", "text": "First: what does upper() do?"})
        await collect(c_ev)
        await c_ev.send({"type": "ai.ask", "text": "Is my code right?", "include_code": True})
        await collect(c_ev)
        await i_ev.send({"type": "ai.ask", "text": "Explain this code", "include_code": True,
                         "private": True})
        await collect(i_ev)
    with client(ai_server) as c:
        r = c.post(f"/api/rooms/{room['id']}/ai/summary", headers=owner.headers)
        assert r.status_code == 200, r.text
        summary = r.json()["summary"]
    assert "?t=" in summary and f"/rooms/{room['id']}/replay" in summary
    chats = proxy.chat_requests(since)
    assert len(chats) == 4
    first, second, private, summ = chats
    # The system prompt is the lead's default and the room's own.
    system = first["messages"][0]
    assert system["role"] == "system" and ROOM_PROMPT in system["content"]
    assert "interview" in system["content"]
    assert CODE_MARK not in str(first)  # no code unless asked
    # The conversation goes along: the second request holds the first question and answer.
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert CODE_MARK in second["messages"][-1]["content"]
    # The private thread starts on its own: none of the candidate's conversation.
    assert "upper() do" not in str(private) and CODE_MARK in str(private)
    assert CODE_MARK in str(summ) and "secret" in str(summ)  # the hidden test's name only
    everything = proxy.sent_text(since)
    for secret in (*SENTINELS, NOTES_SENTINEL, SCORECARD_SENTINEL):
        assert secret not in everything, secret
    assert all(c.get("max_tokens") == 16 for c in chats[:3])
