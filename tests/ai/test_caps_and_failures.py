"""Caps and failures: the prompt size, one stream a person, the per-person question budget,
a model server that is stopped, errors out or is too slow: each gives a clear message and
the socket and the room go on."""

from __future__ import annotations

import asyncio

import pytest

from tests.ai.aisupport import collect, error_of
from tests.ai.conftest import ai_env
from tests.ai.proxy import RecordingProxy
from tests.conftest import ServerFactory
from tests.support.api import Actor, bootstrap_lead, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server, free_port


@pytest.fixture(scope="module")
def slow_proxy(model_server: str) -> RecordingProxy:
    p = RecordingProxy(model_server).start()
    yield p  # type: ignore[misc]
    p.stop()


@pytest.fixture(scope="module")
def capped(server_factory: ServerFactory, slow_proxy: RecordingProxy) -> Server:
    return server_factory(ai_env(
        slow_proxy.url,
        CODEPAIR_AI_PROMPT_MAX_CHARS="200",
        CODEPAIR_AI_PROMPTS_PER_PERSON="3",
        CODEPAIR_AI_ANSWER_SECONDS="3",
    ))


@pytest.fixture(scope="module")
def owner(capped: Server) -> Actor:
    return create_user(capped, bootstrap_lead(capped), name="Olga Owner")


async def test_caps_on_size_streams_and_questions(
    capped: Server, owner: Actor, slow_proxy: RecordingProxy
) -> None:
    room = create_room(capped, owner, ai_assistant="on")
    cand = join(capped, room)
    async with events(capped, room["id"], cand.token) as ev:
        await ev.next("welcome")
        await ev.send({"type": "ai.ask", "text": "x" * 201})
        err = await error_of(ev)
        assert err["code"] == "too_large" and "200" in err["message"]
        await ev.send({"type": "ai.ask", "text": ""})
        assert (await error_of(ev))["code"] == "invalid_message"
        # One answer at a time: a second question while the first streams is refused.
        slow_proxy.delay = 1.0
        await ev.send({"type": "ai.ask", "text": "Say one."})
        await ev.next("ai.message")  # the question, stored
        await ev.send({"type": "ai.ask", "text": "Say two."})
        err = await error_of(ev)
        assert err["code"] == "rate_limited" and "still being written" in err["message"]
        slow_proxy.delay = 0
        ex = await collect_answer(ev)
        assert ex["status"] == "ok"
        for n in (2, 3):
            await ev.send({"type": "ai.ask", "text": f"Say {n}."})
            await collect(ev)
        await ev.send({"type": "ai.ask", "text": "Say four."})
        err = await error_of(ev)
        assert err["code"] == "rate_limited" and "limit" in err["message"]
        # The socket goes on: chat still works.
        await ev.send({"type": "chat.send", "text": "still here"})
        assert (await ev.next("chat.message"))["message"]["text"] == "still here"


async def collect_answer(ev: object) -> dict[str, object]:
    from tests.support.events import EventsClient

    assert isinstance(ev, EventsClient)
    while True:
        msg = await ev.next("ai.message", timeout=90)
        if msg["message"]["role"] == "assistant":
            return dict(msg["message"])


async def test_a_slow_model_is_cut_at_the_time_limit(
    capped: Server, owner: Actor, slow_proxy: RecordingProxy
) -> None:
    room = create_room(capped, owner, ai_assistant="on")
    cand = join(capped, room)
    slow_proxy.delay = 6.0  # longer than CODEPAIR_AI_ANSWER_SECONDS=3
    try:
        async with events(capped, room["id"], cand.token) as ev:
            await ev.next("welcome")
            started = asyncio.get_running_loop().time()
            await ev.send({"type": "ai.ask", "text": "Say slow."})
            ex = await collect(ev, timeout=30)
            took = asyncio.get_running_loop().time() - started
            assert ex.answer is not None and ex.answer["status"] == "cut"
            assert ex.answer["error"] == "The answer took too long and was cut off"
            assert [e["code"] for e in ex.errors] == ["ai_failed"]
            assert took < 5.5
    finally:
        slow_proxy.delay = 0


async def test_a_model_server_that_errors_gives_a_clear_message(
    capped: Server, owner: Actor, slow_proxy: RecordingProxy
) -> None:
    room = create_room(capped, owner, ai_assistant="on")
    cand = join(capped, room)
    slow_proxy.down = True
    try:
        async with events(capped, room["id"], cand.token) as ev:
            await ev.next("welcome")
            await ev.send({"type": "ai.ask", "text": "Say hi."})
            ex = await collect(ev)
            assert ex.answer is not None and ex.answer["status"] == "error"
            assert ex.answer["text"] == "The model server answered with an error (503)"
    finally:
        slow_proxy.down = False


async def test_a_stopped_model_server_gives_a_clear_error(server_factory: ServerFactory) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    srv = server_factory(ai_env(dead))
    owner = create_user(srv, bootstrap_lead(srv), name="Olga Owner")
    room = create_room(srv, owner, ai_assistant="on")
    cand = join(srv, room)
    async with (
        events(srv, room["id"], cand.token) as ev,
        events(srv, room["id"], owner.token) as iv,
    ):
        await ev.next("welcome")
        await iv.next("welcome")
        await ev.send({"type": "ai.ask", "text": "Anyone there?"})
        mine, theirs = await asyncio.gather(collect(ev, timeout=20), collect(iv, timeout=20))
        for ex in (mine, theirs):
            assert ex.answer is not None and ex.answer["status"] == "error"
            assert ex.answer["text"] == "The model server cannot be reached; try again later"
        assert [e["code"] for e in mine.errors] == ["ai_failed"]
        assert theirs.errors == []  # the asker is told; the interviewer sees the message
        # The room goes on, and the drafted summary says why it cannot be made.
        await ev.send({"type": "chat.send", "text": "ok"})
        await ev.next("chat.message")
    import httpx

    r = httpx.post(f"{srv.url}/api/rooms/{room['id']}/ai/summary", headers=owner.headers,
                   timeout=30)
    assert r.status_code == 503 and "cannot be reached" in r.json()["detail"]


async def test_without_a_model_the_assistant_is_off(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, ai_assistant="on")
    cand = join(server, room)
    import httpx

    r = httpx.get(f"{server.url}/api/ai", headers=cand.headers)
    assert r.json() == {"enabled": False, "model": None}
    async with events(server, room["id"], cand.token) as ev:
        await ev.next("welcome")
        await ev.send({"type": "ai.ask", "text": "hello"})
        err = await error_of(ev)
        assert err["code"] == "ai_off" and "not configured" in err["message"]
    r = httpx.post(f"{server.url}/api/rooms/{room['id']}/ai/summary", headers=lead.headers)
    assert r.status_code == 503
