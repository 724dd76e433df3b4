"""The second wave's public contract, walked through once as an outside client would: every
path and field the design names, with the shapes it names. Each area has its own deeper tests;
this one fails when a path or a field that outside tests rely on moves."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.api import Actor, client, create_room, create_user, join
from tests.support.events import events
from tests.support.server import Server

SENTINEL = "SENTINEL-hidden-9f2c"


def question_body() -> dict[str, Any]:
    return {
        "title": "Echo twice",
        "prompt": "Print the input line **twice**.",
        "difficulty": "easy",
        "tags": ["strings"],
        "starters": {"python": "line = input()\n"},
        "tests": [
            {"name": "visible", "stdin": "ab\n", "expected_stdout": "abab\n", "hidden": False},
            {"name": "secret", "stdin": f"{SENTINEL}\n",
             "expected_stdout": f"{SENTINEL * 2}\n", "hidden": True},
        ],
        "solution": f"# {SENTINEL}\nline = input()\nprint(line * 2)\n",
        "guidance": f"Look for {SENTINEL}",
        "rubric": [{"criterion": "Correctness", "description": f"{SENTINEL} works"}],
    }


def test_record_questions_scorecards_report(server: Server, lead: Actor) -> None:
    owner = create_user(server, lead, name="Olive Owner")
    stranger = create_user(server, lead, name="Sam Stranger")
    room = create_room(server, owner, candidate_email="cody@example.com")
    candidate = join(server, room)
    rid = room["id"]
    with client(server) as c:
        # Questions: the bank, the room's copy, presenting.
        r = c.post("/api/questions", headers=owner.headers, json=question_body())
        assert r.status_code == 201, r.text
        question = r.json()
        for field in ("id", "title", "prompt", "difficulty", "tags", "starters", "tests",
                      "solution", "guidance", "rubric"):
            assert field in question
        listing = c.get("/api/questions", headers=owner.headers, params={"q": "Echo"}).json()
        assert {"items", "total"} <= listing.keys() and listing["total"] >= 1
        assert c.get("/api/questions", headers=candidate.headers).status_code in (403, 404)

        r = c.post(f"/api/rooms/{rid}/questions", headers=owner.headers,
                   json={"question_id": question["id"]})
        assert r.status_code == 201, r.text
        rq = r.json()
        assert c.get(f"/api/rooms/{rid}/questions", headers=owner.headers).json()["items"]
        assert c.get(f"/api/rooms/{rid}/questions",
                     headers=candidate.headers).json()["items"] == []

        async def present() -> dict[str, Any]:
            async with events(server, rid, candidate.token) as ev:
                await ev.next("welcome")
                r = await asyncio.to_thread(
                    c.post, f"/api/rooms/{rid}/questions/{rq['id']}/present",
                    headers=owner.headers, json={},
                )
                assert r.status_code == 200, r.text
                return await ev.next("question.presented", timeout=10)

        presented = asyncio.run(present())
        assert presented["question"]["title"] == "Echo twice"
        assert SENTINEL not in str(presented)
        seen = c.get(f"/api/rooms/{rid}/questions", headers=candidate.headers).json()["items"]
        assert [q["title"] for q in seen] == ["Echo twice"] and SENTINEL not in str(seen)

        # Runs against the presented question's tests.
        r = c.post(f"/api/rooms/{rid}/runs", headers=candidate.headers,
                   json={"tests": True, "language": "python",
                         "code": "line = input()\nprint(line * 2)\n"})
        assert r.status_code in (200, 201, 202), r.text
        run = r.json()
        for _ in range(100):
            if run["status"] not in ("queued", "running"):
                break
            asyncio.run(asyncio.sleep(0.1))
            run = c.get(f"/api/rooms/{rid}/runs/{run['id']}", headers=candidate.headers).json()
        assert run["status"] == "ok" and run["passed"] == run["total"] == 2, run
        hidden = [t for t in run["tests"] if t["hidden"]]
        assert hidden == [{"name": "secret", "hidden": True, "passed": True}]
        assert SENTINEL not in str(run)

        # The record: timeline and the document at a moment.
        c.post(f"/api/rooms/{rid}/end", headers=owner.headers).raise_for_status()
        timeline = c.get(f"/api/rooms/{rid}/timeline", headers=owner.headers).json()["events"]
        types = [e["type"] for e in timeline]
        assert {"run", "question", "ended"} <= set(types), types
        assert all({"at", "type", "actor"} <= e.keys() for e in timeline)
        assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
        history = c.get(f"/api/rooms/{rid}/history/code", headers=owner.headers).json()
        assert {"at", "seq", "text", "language"} <= history.keys()
        assert history["text"] == "line = input()\n"  # the starter, put in when presented
        assert c.get(f"/api/rooms/{rid}/history/code", headers=owner.headers,
                     params={"at": "not-a-time"}).status_code == 422
        for who, statuses in ((candidate, (401, 403, 404)), (stranger, (403, 404))):
            for path in ("timeline", "history/code", "scorecards", "report"):
                status = c.get(f"/api/rooms/{rid}/{path}", headers=who.headers).status_code
                assert status in statuses, (who.name, path, status)
        assert c.get(f"/api/rooms/{rid}/timeline").status_code == 401

        # Scorecards: a draft, 422 without a recommendation, submitted, then locked.
        ratings = [{"criterion": "Correctness", "score": 4, "comment": "clean"}]
        r = c.put(f"/api/rooms/{rid}/scorecards/me", headers=owner.headers,
                  json={"ratings": ratings, "summary": "Strong pairing session"})
        assert r.status_code == 200, r.text
        assert c.post(f"/api/rooms/{rid}/scorecards/me/submit",
                      headers=owner.headers).status_code == 422
        c.put(f"/api/rooms/{rid}/scorecards/me", headers=owner.headers,
              json={"ratings": ratings, "recommendation": "strong_yes"}).raise_for_status()
        assert c.post(f"/api/rooms/{rid}/scorecards/me/submit",
                      headers=owner.headers).status_code == 200
        assert c.put(f"/api/rooms/{rid}/scorecards/me", headers=owner.headers,
                     json={"ratings": ratings}).status_code == 409
        cards = c.get(f"/api/rooms/{rid}/scorecards", headers=owner.headers).json()["items"]
        card = cards[0]
        assert card["interviewer"]["name"] == "Olive Owner" and card["status"] == "submitted"
        for field in ("recommendation", "ratings", "summary", "submitted_at"):
            assert field in card

        # The report in its three formats.
        r = c.get(f"/api/rooms/{rid}/report", headers=owner.headers, params={"format": "json"})
        assert r.headers["content-type"].startswith("application/json")
        r = c.get(f"/api/rooms/{rid}/report", headers=owner.headers, params={"format": "md"})
        assert r.headers["content-type"].startswith("text/markdown")
        assert "Strong pairing session" in r.text
        r = c.get(f"/api/rooms/{rid}/report", headers=owner.headers, params={"format": "pdf"},
                  timeout=120)
        assert r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"


def test_webhooks_tokens_audit(server: Server, lead: Actor) -> None:
    interviewer = create_user(server, lead)
    with client(server) as c:
        # Registering and delivering are tested against a real receiver in
        # tests/integrations; here: leads only, and loopback targets refused by default.
        assert c.get("/api/webhooks", headers=lead.headers).status_code == 200
        assert c.post("/api/webhooks", headers=interviewer.headers,
                      json={"url": "http://127.0.0.1:9/", "events": []}).status_code == 403
        assert c.post("/api/webhooks", headers=lead.headers,
                      json={"url": "http://127.0.0.1:9/", "events": ["interview.ended"]}
                      ).status_code in (400, 422)

        r = c.post("/api/me/tokens", headers=interviewer.headers,
                   json={"name": "ATS", "scopes": ["rooms:read", "rooms:write"]})
        assert r.status_code == 201, r.text
        token = r.json()
        api = {"Authorization": f"Bearer {token['token']}"}
        r = c.post("/api/rooms", headers=api, json={"candidate_name": "Via ATS"})
        assert r.status_code == 201, r.text
        listed = c.get("/api/me/tokens", headers=interviewer.headers).json()
        assert token["token"] not in str(listed)  # shown once, never listed
        assert c.delete(f"/api/me/tokens/{token['id']}",
                        headers=interviewer.headers).status_code in (200, 204)
        assert c.get("/api/rooms", headers=api).status_code == 401

        audit = c.get("/api/audit", headers=lead.headers, params={"limit": 200}).json()
        assert {"items", "total"} <= audit.keys()
        assert "room.created" in {item["action"] for item in audit["items"]}
        assert c.get("/api/audit", headers=interviewer.headers).status_code == 403
        assert c.get("/api/audit").status_code == 401

