"""A room's questions: the plan, the room's own copy, presenting (events socket, timeline,
starter code through the Yjs document) and who may do what."""

from __future__ import annotations

import asyncio

from tests.questions.qsupport import api, code_doc, create_question
from tests.support.api import Actor, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server


def attach(server: Server, actor: Actor, room_id: str, question_id: str) -> dict[str, object]:
    with api(server) as c:
        r = c.post(f"/api/rooms/{room_id}/questions", headers=actor.headers,
                   json={"question_id": question_id})
        assert r.status_code == 201, r.text
        body: dict[str, object] = r.json()
    return body


def test_plan_in_order_and_the_room_keeps_its_copy(server: Server, lead: Actor) -> None:
    me = create_user(server, lead)
    first = create_question(server, me, title="First")
    second = create_question(server, me, title="Second")
    room = create_room(server, me)
    a = attach(server, me, room["id"], first["id"])
    b = attach(server, me, room["id"], second["id"])
    with api(server) as c:
        # Editing the bank later does not change the room's record.
        c.patch(f"/api/questions/{first['id']}", headers=me.headers,
                json={"title": "First, edited", "tests": []})
        items = c.get(f"/api/rooms/{room['id']}/questions", headers=me.headers).json()["items"]
        assert [i["title"] for i in items] == ["First", "Second"]
        assert [i["id"] for i in items] == [a["id"], b["id"]]
        assert len(items[0]["tests"]) == 3 and items[0]["solution"]
        assert items[0]["question_id"] == first["id"]
        r = c.delete(f"/api/rooms/{room['id']}/questions/{a['id']}", headers=me.headers)
        assert r.status_code == 204
        items = c.get(f"/api/rooms/{room['id']}/questions", headers=me.headers).json()["items"]
        assert [i["title"] for i in items] == ["Second"]
        r = c.post(f"/api/rooms/{room['id']}/questions", headers=me.headers,
                   json={"question_id": "nope"})
        assert r.status_code == 404


def test_room_questions_refusals(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead)
    stranger = create_user(server, lead)
    q = create_question(server, owner)
    room = create_room(server, owner)
    other_room = create_room(server, owner)
    rq = attach(server, owner, room["id"], q["id"])
    candidate = join(server, room)
    other_candidate = join(server, other_room)
    base = f"/api/rooms/{room['id']}/questions"
    with api(server) as c:
        for who, status in ((candidate, 403), (stranger, 404), (other_candidate, 403)):
            r = c.post(base, headers=who.headers, json={"question_id": q["id"]})
            assert r.status_code == status, r.text
            r = c.post(f"{base}/{rq['id']}/present", headers=who.headers)
            assert r.status_code == status, r.text
            r = c.delete(f"{base}/{rq['id']}", headers=who.headers)
            assert r.status_code == status, r.text
        assert c.get(base, headers=stranger.headers).status_code == 404
        assert c.get(base, headers=other_candidate.headers).status_code == 404
        assert c.get(base).status_code == 401
        # Another room's question is not this room's.
        r = c.post(f"/api/rooms/{other_room['id']}/questions/{rq['id']}/present",
                   headers=owner.headers)
        assert r.status_code == 404
        # Before anything is presented, the candidate sees no question at all.
        assert c.get(base, headers=candidate.headers).json() == {"items": []}
        # Ended: the plan is the record.
        c.post(f"/api/rooms/{room['id']}/end", headers=owner.headers)
        assert c.post(f"{base}/{rq['id']}/present", headers=owner.headers).status_code == 409
        assert c.post(base, headers=owner.headers,
                      json={"question_id": q["id"]}).status_code == 409


async def test_present_shows_everyone_and_puts_the_starter_in_the_editor(
    server: Server, lead: Actor
) -> None:
    me = create_user(server, lead)
    q = create_question(server, me)
    room = create_room(server, me, language="python")
    rq = attach(server, me, room["id"], q["id"])
    candidate = join(server, room)
    async with (
        events(server, room["id"], candidate.token) as cand_events,
        events(server, room["id"], me.token) as int_events,
        code_doc(server, room["id"], candidate.token) as editor,
    ):
        await cand_events.next("welcome")
        await int_events.next("welcome")
        with api(server) as c:
            r = await asyncio.to_thread(
                c.post, f"/api/rooms/{room['id']}/questions/{rq['id']}/present",
                headers=me.headers,
            )
        assert r.status_code == 200, r.text
        assert r.json()["code_replaced"] is True
        for sock in (cand_events, int_events):
            message = await sock.next("question.presented")
            shown = message["question"]
            assert shown["id"] == rq["id"] and shown["title"] == "Shout it"
            assert set(shown) == {"id", "title", "prompt", "starters", "tests"}
            assert [t["name"] for t in shown["tests"]] == ["hello", "two words"]
        starter = q["starters"]["python"]
        await editor.wait_for(lambda text: text == starter)
        updates = [f for f in editor.frames if f[1] == 2]  # plain updates after the sync
        assert len(updates) == 1  # one update, made by the server

        # The candidate writes code: presenting again would overwrite it, so 409 ...
        await editor.type("print('mine')\n")
        await asyncio.sleep(0.3)
        with api(server) as c:
            path = f"/api/rooms/{room['id']}/questions/{rq['id']}/present"
            r = await asyncio.to_thread(c.post, path, headers=me.headers)
            assert r.status_code == 409, r.text
            # ... unless the interviewer confirms.
            r = await asyncio.to_thread(c.post, path, headers=me.headers,
                                        json={"replace_code": True})
            assert r.status_code == 200, r.text
        await editor.wait_for(lambda text: text == starter)

    with api(server) as c:
        items = c.get(f"/api/rooms/{room['id']}/questions",
                      headers=candidate.headers).json()["items"]
        assert [set(i) for i in items] == [{"id", "title", "prompt", "starters", "tests"}]
        timeline = c.get(f"/api/rooms/{room['id']}/timeline", headers=me.headers)
        assert timeline.status_code == 200, timeline.text
        shown = [e for e in timeline.json()["events"] if e["type"] == "question"]
        assert len(shown) == 2 and shown[0]["title"] == "Shout it", shown
        # The update log names the interviewer (who never typed) as an author: the server's
        # starter update is theirs.
        history = c.get(f"/api/rooms/{room['id']}/history/code/updates", headers=me.headers)
        assert history.status_code == 200, history.text
        assert me.name in [a["name"] for a in history.json()["authors"]], history.json()


def test_plan_on_room_create_and_edit(server: Server, lead: Actor) -> None:
    me = create_user(server, lead)
    a, b, c_ = (create_question(server, me, title=t) for t in ("A", "B", "C"))
    with api(server) as c:
        r = c.post("/api/rooms", headers=me.headers,
                   json={"candidate_name": "Pat", "question_ids": [b["id"], a["id"]]})
        assert r.status_code == 201, r.text
        room_id = r.json()["id"]
        base = f"/api/rooms/{room_id}/questions"
        assert [i["title"] for i in c.get(base, headers=me.headers).json()["items"]] == ["B", "A"]
        # Edit: reorder, add one, drop one (the kept copy is the same row).
        before = {i["title"]: i["id"] for i in c.get(base, headers=me.headers).json()["items"]}
        r = c.patch(f"/api/rooms/{room_id}", headers=me.headers,
                    json={"question_ids": [a["id"], c_["id"]]})
        assert r.status_code == 200, r.text
        items = c.get(base, headers=me.headers).json()["items"]
        assert [i["title"] for i in items] == ["A", "C"] and items[0]["id"] == before["A"]
        # A presented question is never dropped from the record.
        c.post(f"{base}/{items[1]['id']}/present", headers=me.headers)
        c.patch(f"/api/rooms/{room_id}", headers=me.headers, json={"question_ids": []})
        assert [i["title"] for i in c.get(base, headers=me.headers).json()["items"]] == ["C"]
        r = c.post("/api/rooms", headers=me.headers,
                   json={"candidate_name": "Pat", "question_ids": ["missing"]})
        assert r.status_code == 404
        r = c.post("/api/rooms", headers=me.headers,
                   json={"candidate_name": "Pat", "question_ids": ["x"] * 21})
        assert r.status_code == 422


def test_presenting_is_rate_limited(server: Server, lead: Actor) -> None:
    me = create_user(server, lead)
    q = create_question(server, me)
    room = create_room(server, me)
    rq = attach(server, me, room["id"], q["id"])
    path = f"/api/rooms/{room['id']}/questions/{rq['id']}/present"
    with api(server) as c:
        codes = [c.post(path, headers=me.headers, json={"replace_code": True}).status_code
                 for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
