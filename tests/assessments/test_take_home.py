"""Take-home assessments through a real server: the server's clock ends an attempt with no
socket open, the hidden tests grade it, the webhook arrives signed and the owner's mail too;
a restart keeps the deadline; the questions stay hidden before the start; bad input gets a
clear answer and changes nothing.

A "minute" of a time limit lasts ``MINUTE`` seconds here (CODEPAIR_TAKE_HOME_MINUTE_SECONDS),
so the two-minute take-home of the issue ends in seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets

from codepair.domain.integrations.webhooks import verify
from tests.conftest import ServerFactory
from tests.integrations.receiver import Receiver, receiver
from tests.integrations.smtp import Inbox, smtp_server
from tests.questions.qsupport import ECHO_UPPER, SENTINELS, code_doc, create_question
from tests.runner.runner_support import require_bwrap
from tests.support.api import Actor, bootstrap_lead, client, create_user
from tests.support.server import Server, free_port

MINUTE = 2.5  # seconds in a time-limit minute: two minutes are five seconds
ENV = {
    "CODEPAIR_TAKE_HOME_MINUTE_SECONDS": str(MINUTE),
    "CODEPAIR_TAKE_HOME_SWEEP_SECONDS": "0.2",
    "CODEPAIR_WEBHOOK_ALLOW_PRIVATE": "true",
    "CODEPAIR_WEBHOOK_RETRY_SECONDS": "0.3,0.6",
    "CODEPAIR_OUTBOX_POLL_SECONDS": "0.2",
    "CODEPAIR_MAIL_RETRY_SECONDS": "0.3,0.6",
    "CODEPAIR_MAIL_FROM": "CodePair <assessments@example.com>",
    "CODEPAIR_RUNNER_TIME_LIMIT_SECONDS": "2",
}
PROMPT_MARK = "upper-cased"  # in the question's prompt: must not show before the start


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(free_port()) as box:
        yield box


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    with receiver() as rec:
        yield rec


@pytest.fixture(scope="module")
def th_server(server_factory: ServerFactory, inbox: Inbox) -> Server:
    require_bwrap()
    return server_factory({**ENV, "CODEPAIR_SMTP_URL": f"smtp://127.0.0.1:{inbox.port}"})


@pytest.fixture(scope="module")
def th_lead(th_server: Server) -> Actor:
    return bootstrap_lead(th_server)


@pytest.fixture(scope="module")
def hook_secret(th_server: Server, th_lead: Actor, hook: Receiver) -> str:
    with client(th_server) as c:
        r = c.post("/api/webhooks", headers=th_lead.headers,
                   json={"url": hook.url, "events": ["take_home.submitted"]})
        assert r.status_code == 201, r.text
        return str(r.json()["secret"])


def in_(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def new_take_home(
    server: Server, owner: Actor, question_ids: list[str], **fields: Any
) -> dict[str, Any]:
    body = {
        "kind": "take_home", "candidate_name": "Tess Taker", "title": "Strings screen",
        "question_ids": question_ids, "time_limit_minutes": 2, "closes_at": in_(3600),
        **fields,
    }
    with client(server) as c:
        r = c.post("/api/rooms", headers=owner.headers, json=body)
        assert r.status_code == 201, r.text
        room: dict[str, Any] = r.json()
    assert room["kind"] == "take_home"
    return room


def start(server: Server, room: dict[str, Any], **extra: Any) -> httpx.Response:
    with client(server) as c:
        return c.post("/api/join", json={"invite_token": room["invite_token"], "name": "Tess",
                                         "start": True, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def attempt(server: Server, token: str, room_id: str) -> httpx.Response:
    with client(server) as c:
        return c.get(f"/api/rooms/{room_id}/take-home", headers=bearer(token))


def wait_graded(server: Server, lead: Actor, room_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with client(server) as c:
        while time.monotonic() < deadline:
            r = c.get(f"/api/rooms/{room_id}/take-home", headers=lead.headers)
            assert r.status_code == 200, r.text
            if r.json()["graded"]:
                out: dict[str, Any] = r.json()
                return out
            time.sleep(0.2)
    raise AssertionError(f"not graded in {timeout} s: {r.json()}")


async def type_code(server: Server, room_id: str, token: str, code: str) -> str:
    async with code_doc(server, room_id, token) as doc:
        await doc.type(code)
        await asyncio.sleep(0.3)  # past the group commit
        return doc.text


def test_ends_by_itself_graded_webhook_signed_mail_sent_edits_refused(
    th_server: Server, th_lead: Actor, hook: Receiver, hook_secret: str, inbox: Inbox
) -> None:
    q = create_question(th_server, th_lead)
    room = new_take_home(th_server, th_lead, [q["id"]], candidate_email="tess@example.com",
                         candidate_timezone="Asia/Tokyo", closes_at="2099-01-02T03:00:00Z")
    # The invitation: the rules, the last moment in the candidate's zone, the link.
    invitation = inbox.wait_for(1)[-1]
    body = invitation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Friday 02 January 2099, 12:00 (Asia/Tokyo)" in body, body
    assert room["invite_url"] in body and "2 min" in body
    # Before the start: the rules and the number of questions, nothing of the questions.
    with client(th_server) as c:
        info = c.get(f"/api/take-homes/invite/{room['invite_token']}")
        assert info.status_code == 200, info.text
        assert info.json()["state"] == "not_started" and info.json()["question_count"] == 1
        assert PROMPT_MARK not in info.text and q["title"] not in info.text
        r = c.post("/api/join", json={"invite_token": room["invite_token"]})
        assert r.status_code == 409 and "start" in r.json()["detail"], r.text

    r = start(th_server, room)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    deadline = datetime.fromisoformat(r.json()["deadline"])
    left = (deadline - datetime.now(UTC)).total_seconds()
    assert 2 * MINUTE - 2 < left <= 2 * MINUTE, left
    seen = attempt(th_server, token, room["id"]).json()
    assert seen["state"] == "in_progress" and seen["graded"] is None and seen["score"] is None
    assert [x["title"] for x in seen["questions"]] == [q["title"]]
    assert not any(s in json.dumps(seen) for s in SENTINELS)
    # The candidate writes the answer under the starter, then closes the tab.
    text = asyncio.run(type_code(th_server, room["id"], token, ECHO_UPPER))
    assert text.startswith("# read a line") and text.endswith(ECHO_UPPER)

    # No socket open: the server's clock ends it, and the tests grade the final code.
    graded = wait_graded(th_server, th_lead, room["id"])
    assert graded["state"] == "expired" and graded["outcome"] == "expired"
    assert (graded["passed"], graded["total"], graded["score"]) == (3, 3, 1.0), graded
    [line] = graded["results"]
    assert line["status"] == "ok" and line["run_id"]
    finished = datetime.fromisoformat(graded["finished_at"])
    assert abs((finished - deadline).total_seconds()) < 0.01  # at the deadline, not later
    with client(th_server) as c:
        runs = c.get(f"/api/rooms/{room['id']}/runs", headers=th_lead.headers).json()["items"]
        assert any(run["id"] == line["run_id"] and run["passed"] == 3 for run in runs)

    # The webhook, signed; the owner's mail with the score and the report link.
    [req] = hook.wait_for(1)
    assert verify(hook_secret, req.headers, req.body)
    event = json.loads(req.body)
    assert event["type"] == "take_home.submitted"
    assert event["data"]["room_id"] == room["id"] and event["data"]["passed"] == 3
    assert event["data"]["outcome"] == "expired" and event["data"]["score"] == 1.0
    owner_mail = next(m for m in inbox.wait_for(2) if "scored" in str(m["Subject"]))
    mail_body = owner_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "3 of 3 tests passed" in mail_body and f"/rooms/{room['id']}/scorecard" in mail_body

    # After the end: the token says why it stopped; no edits, no runs, no way back in.
    r = attempt(th_server, token, room["id"])
    assert r.status_code == 410 and "ran out" in r.json()["detail"], r.text
    with client(th_server) as c:
        r = c.post(f"/api/rooms/{room['id']}/runs", headers=bearer(token), json={"code": "1"})
        assert r.status_code == 401, r.text
        r = c.post(f"/api/rooms/{room['id']}/submit", headers=bearer(token))
        assert r.status_code == 410 and "ran out" in r.json()["detail"], r.text
    assert start(th_server, room).status_code == 410

    async def edit_refused() -> None:
        url = f"{th_server.ws_url}/ws/rooms/{room['id']}/yjs/code?token={token}"
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(url):
                pass

    asyncio.run(edit_refused())
    with client(th_server) as c:
        history = c.get(f"/api/rooms/{room['id']}/history/code", headers=th_lead.headers)
        assert history.json()["text"] == text  # unchanged since the end


def test_a_restart_in_the_middle_keeps_the_deadline(server_factory: ServerFactory) -> None:
    require_bwrap()
    srv = server_factory(ENV)
    lead = bootstrap_lead(srv)
    q = create_question(srv, lead)
    room = new_take_home(srv, lead, [q["id"]], time_limit_minutes=12)  # 30 s: past a restart
    r = start(srv, room)
    assert r.status_code == 200, r.text
    token, deadline = r.json()["token"], r.json()["deadline"]
    asyncio.run(type_code(srv, room["id"], token, ECHO_UPPER))
    srv.kill()  # kill -9 in the middle of the attempt
    srv.start(timeout=120)  # a loaded CI machine takes its time
    seen = attempt(srv, token, room["id"])
    assert seen.status_code == 200, seen.text
    assert seen.json()["deadline"].replace("Z", "+00:00") == datetime.fromisoformat(
        deadline).isoformat()
    assert seen.json()["state"] == "in_progress"
    graded = wait_graded(srv, lead, room["id"])
    assert graded["state"] == "expired" and (graded["passed"], graded["total"]) == (3, 3)
    assert graded["finished_at"].replace("Z", "+00:00") == datetime.fromisoformat(
        deadline).isoformat()


def test_starting_twice_reopening_forged_tokens_and_strangers(
    th_server: Server, th_lead: Actor
) -> None:
    q = create_question(th_server, th_lead)
    room = new_take_home(th_server, th_lead, [q["id"]], time_limit_minutes=60)
    first = start(th_server, room)
    assert first.status_code == 200, first.text
    # Starting again (a reopened tab) comes back to the same attempt: the clock is not reset.
    again = start(th_server, room)
    assert again.status_code == 200 and again.json()["deadline"] == first.json()["deadline"]
    with client(th_server) as c:
        resumed = c.post("/api/join", json={"invite_token": room["invite_token"]})
        assert resumed.json()["deadline"] == first.json()["deadline"]
    token = first.json()["token"]

    # A forged token, another room's candidate, an interviewer of another room, no token.
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert attempt(th_server, forged, room["id"]).status_code == 401
    other = new_take_home(th_server, th_lead, [q["id"]], time_limit_minutes=60)
    other_token = start(th_server, other).json()["token"]
    assert attempt(th_server, other_token, room["id"]).status_code == 404
    stranger = create_user(th_server, th_lead)
    assert attempt(th_server, stranger.token, room["id"]).status_code == 404
    with client(th_server) as c:
        assert c.get(f"/api/rooms/{room['id']}/take-home").status_code == 401
        assert c.post(f"/api/rooms/{room['id']}/submit",
                      headers=th_lead.headers).status_code == 403
        assert c.post(f"/api/rooms/{room['id']}/submit",
                      headers=bearer(other_token)).status_code == 404

        # The submit: once; then the link and the token say it was submitted.
        r = c.post(f"/api/rooms/{room['id']}/submit", headers=bearer(token))
        assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
        r = c.post(f"/api/rooms/{room['id']}/submit", headers=bearer(token))
        assert r.status_code == 410 and "submitted" in r.json()["detail"], r.text
        reopened = start(th_server, room)
        assert reopened.status_code == 410 and "submitted" in reopened.json()["detail"]
        info = c.get(f"/api/take-homes/invite/{room['invite_token']}").json()
        assert info["state"] == "submitted"
    graded = wait_graded(th_server, th_lead, room["id"])
    assert graded["outcome"] == "submitted" and graded["total"] == 3 and graded["passed"] == 0


def test_too_late_to_start_and_bad_creations(th_server: Server, th_lead: Actor) -> None:
    q = create_question(th_server, th_lead)
    room = new_take_home(th_server, th_lead, [q["id"]], closes_at=in_(1.0))
    time.sleep(1.5)
    r = start(th_server, room)
    assert r.status_code == 410 and "could be started until" in r.json()["detail"], r.text
    with client(th_server) as c:
        for bad in (
            {"closes_at": in_(-60)},
            {"question_ids": []},
            {"time_limit_minutes": 0},
            {"question_ids": [q["id"], q["id"]]},
            {"question_ids": ["nope"]},
        ):
            body = {"kind": "take_home", "candidate_name": "X", "question_ids": [q["id"]],
                    "time_limit_minutes": 30, "closes_at": in_(3600), **bad}
            r = c.post("/api/rooms", headers=th_lead.headers, json=body)
            assert r.status_code in (404, 422), (bad, r.text)
        project = create_question(th_server, th_lead, files={"lib.py": "x = 1\n"},
                                  entry="main.py", test_command="pytest")
        body = {"kind": "take_home", "candidate_name": "X", "question_ids": [project["id"]],
                "time_limit_minutes": 30, "closes_at": in_(3600)}
        r = c.post("/api/rooms", headers=th_lead.headers, json=body)
        assert r.status_code == 422 and "project question" in r.json()["detail"], r.text
        # Nothing of the refused ones was made.
        listed = c.get("/api/take-homes", headers=th_lead.headers).json()["items"]
        assert all(item["candidate_name"] != "X" for item in listed)

    # An interviewer ending a running take-home ends the attempt: graded, token refused.
    running = new_take_home(th_server, th_lead, [q["id"]], time_limit_minutes=60)
    token = start(th_server, running).json()["token"]
    with client(th_server) as c:
        assert c.post(f"/api/rooms/{running['id']}/end", headers=th_lead.headers).is_success
    graded = wait_graded(th_server, th_lead, running["id"])
    assert graded["state"] == "expired" and graded["total"] == 3
    assert attempt(th_server, token, running["id"]).status_code == 410


def test_one_after_another_keeps_each_answer_and_never_goes_back(
    th_server: Server, th_lead: Actor
) -> None:
    q1 = create_question(th_server, th_lead, title="First")
    q2 = create_question(th_server, th_lead, title="Second",
                         starters={"python": "# second starter\n"})
    room = new_take_home(th_server, th_lead, [q1["id"], q2["id"]], time_limit_minutes=60)
    token = start(th_server, room).json()["token"]
    seen = attempt(th_server, token, room["id"]).json()
    assert [x["title"] for x in seen["questions"]] == ["First"]  # the second not yet
    second_id = None
    with client(th_server) as c:
        plan = c.get(f"/api/rooms/{room['id']}/questions", headers=th_lead.headers).json()
        first_id, second_id = [x["id"] for x in plan["items"]]
    asyncio.run(type_code(th_server, room["id"], token, ECHO_UPPER))
    with client(th_server) as c:
        r = c.post(f"/api/rooms/{room['id']}/take-home/question", headers=bearer(token),
                   json={"question_id": second_id})
        assert r.status_code == 200, r.text
        assert [x["title"] for x in r.json()["questions"]] == ["First", "Second"]
        r = c.post(f"/api/rooms/{room['id']}/take-home/question", headers=bearer(token),
                   json={"question_id": first_id})
        assert r.status_code == 409 and "one after another" in r.json()["detail"], r.text
        r = c.post(f"/api/rooms/{room['id']}/take-home/question", headers=th_lead.headers,
                   json={"question_id": first_id})
        assert r.status_code == 403

    async def editor() -> str:
        async with code_doc(th_server, room["id"], token) as doc:
            await doc.wait_for(lambda t: t == "# second starter\n")
            return doc.text

    assert asyncio.run(editor()) == "# second starter\n"
    with client(th_server) as c:
        assert c.post(f"/api/rooms/{room['id']}/submit", headers=bearer(token)).status_code == 200
    graded = wait_graded(th_server, th_lead, room["id"])
    # The first answer was kept when the candidate moved on: 3 of its 3; the second 0 of 3.
    assert [(x["title"], x["passed"]) for x in graded["results"]] == [("First", 3), ("Second", 0)]


def test_the_dashboard_lists_states_and_sorts_by_score(th_server: Server, th_lead: Actor) -> None:
    q = create_question(th_server, th_lead)
    weak = new_take_home(th_server, th_lead, [q["id"]], candidate_name="Weak")
    strong = new_take_home(th_server, th_lead, [q["id"]], candidate_name="Strong")
    waiting = new_take_home(th_server, th_lead, [q["id"]], candidate_name="Waiting",
                            time_limit_minutes=60)
    for room, code in ((weak, "print('no')\n"), (strong, ECHO_UPPER)):  # submitted in 5 s
        token = start(th_server, room).json()["token"]
        asyncio.run(type_code(th_server, room["id"], token, code))
        with client(th_server) as c:
            assert c.post(f"/api/rooms/{room['id']}/submit",
                          headers=bearer(token)).status_code == 200
        wait_graded(th_server, th_lead, room["id"])
    with client(th_server) as c:
        r = c.get("/api/take-homes?sort=score&limit=100", headers=th_lead.headers)
        assert r.status_code == 200, r.text
        names = [x["candidate_name"] for x in r.json()["items"]]
        assert names.index("Strong") < names.index("Weak") < names.index("Waiting")
        states = {x["candidate_name"]: x["state"] for x in r.json()["items"]}
        assert states["Waiting"] == "not_started" and states["Strong"] == "submitted"
        assert c.get("/api/take-homes", headers=bearer(
            start(th_server, waiting).json()["token"])).status_code == 403
        stranger = create_user(th_server, th_lead)
        mine = c.get("/api/take-homes", headers=stranger.headers).json()
        assert mine == {"items": [], "total": 0}
        # The interviews' list can leave take-homes out (the dashboard does), or list them.
        live = c.get("/api/rooms?kind=live&limit=100", headers=th_lead.headers).json()
        assert not {"Weak", "Strong", "Waiting"} & {x["candidate_name"] for x in live["items"]}
        assert all(x["kind"] == "live" for x in live["items"])
        homes = c.get("/api/rooms?kind=take_home&q=Strong", headers=th_lead.headers).json()
        assert [x["candidate_name"] for x in homes["items"]] == ["Strong"]
        assert homes["items"][0]["kind"] == "take_home"
