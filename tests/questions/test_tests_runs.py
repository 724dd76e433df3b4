"""Running the room's code against the presented question's tests: results, who sees what,
and the sentinels never reaching the candidate."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.questions.qsupport import (
    ECHO_UPPER,
    SENTINELS,
    api,
    code_doc,
    create_question,
)
from tests.runner.runner_support import require_bwrap
from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.events import EventsClient, events
from tests.support.server import Server

TOOLCHAINS = str(Path(__file__).resolve().parents[2] / "data" / "toolchains")
C_UPPER = (
    "#include <ctype.h>\n#include <stdio.h>\n"
    "int main(void){int c;while((c=getchar())!=EOF)putchar(toupper(c));return 0;}\n"
)


@pytest.fixture(scope="module")
def run_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory({"CODEPAIR_RUNNER_TOOLCHAINS_DIR": TOOLCHAINS,
                           "CODEPAIR_RUNNER_TIME_LIMIT_SECONDS": "2"})


def present(server: Server, actor: Actor, room_id: str, question: dict[str, Any]) -> str:
    with api(server) as c:
        r = c.post(f"/api/rooms/{room_id}/questions", headers=actor.headers,
                   json={"question_id": question["id"]})
        assert r.status_code == 201, r.text
        rq_id: str = r.json()["id"]
        r = c.post(f"/api/rooms/{room_id}/questions/{rq_id}/present", headers=actor.headers,
                   json={"replace_code": True})
        assert r.status_code == 200, r.text
    return rq_id


def run_tests(server: Server, actor: Actor, room_id: str, **body: Any) -> httpx.Response:
    with api(server) as c:
        return c.post(f"/api/rooms/{room_id}/runs", headers=actor.headers,
                      json={"tests": True, **body})


def assert_candidate_view(tests: list[dict[str, Any]]) -> None:
    for t in tests:
        if t["hidden"]:
            assert t == {"name": t["name"], "hidden": True, "passed": t["passed"]}, t
        else:
            assert {"stdin", "expected_stdout", "actual_stdout", "wall_ms"} <= set(t), t


def test_results_per_test_with_the_candidates_view(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead)
    present(run_server, lead, room["id"], q)
    candidate = join(run_server, room)

    r = run_tests(run_server, candidate, room["id"], code=ECHO_UPPER)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "ok" and (run["passed"], run["total"]) == (3, 3), run
    assert [t["name"] for t in run["tests"]] == ["hello", "two words", "secret"]
    assert all(t["passed"] for t in run["tests"])
    assert_candidate_view(run["tests"])
    assert run["tests"][0]["actual_stdout"] == "HELLO\n"
    assert run["stdout"] == "Tests: 3 of 3 passed\n" and run["stderr"] == ""
    assert run["tests"][0]["wall_ms"] is not None
    for sentinel in SENTINELS:
        assert sentinel not in r.text

    # Interviewers see everything of the same run.
    with api(run_server) as c:
        full = c.get(f"/api/rooms/{room['id']}/runs/{run['id']}", headers=lead.headers).json()
        hidden = full["tests"][2]
        assert hidden["hidden"] and hidden["expected_stdout"].startswith("SENTINEL-HIDDEN-STDIN")
        assert hidden["stdin"].startswith("sentinel-hidden-stdin")
        # And the candidate's list of runs holds the reduced view only.
        listed = c.get(f"/api/rooms/{room['id']}/runs", headers=candidate.headers)
        assert_candidate_view(listed.json()["items"][0]["tests"])
        for sentinel in SENTINELS:
            assert sentinel not in listed.text


def test_wrong_output_and_comparison_modes(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead)
    present(run_server, lead, room["id"], q)
    # Trailing blanks: "hello" ignores them, "two words" compares exactly.
    code = "import sys\nprint(sys.stdin.read().strip().upper() + '  ')\n"
    run = run_tests(run_server, lead, room["id"], code=code).json()
    assert [t["passed"] for t in run["tests"]] == [True, False, True], run["tests"]
    assert run["passed"] == 2 and run["status"] == "ok"
    # A crash is the test's status; the others still run.
    code = "import sys\ns = sys.stdin.read()\nif 'ab' in s: raise SystemExit(3)\nprint(s.upper())"
    run = run_tests(run_server, lead, room["id"], code=code).json()
    assert [t["status"] for t in run["tests"]] == ["ok", "runtime_error", "ok"]
    assert run["status"] == "runtime_error"


def test_the_timeline_gives_a_tests_run_its_pass_count(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead)
    present(run_server, lead, room["id"], q)
    tested = run_tests(run_server, lead, room["id"], code="print('nope')").json()
    with api(run_server) as c:
        plain = c.post(f"/api/rooms/{room['id']}/runs", headers=lead.headers,
                       json={"code": "print(1)"}).json()
        events = c.get(f"/api/rooms/{room['id']}/timeline", headers=lead.headers).json()
    runs = {e["run_id"]: e for e in events["events"] if e["type"] == "run"}
    assert (runs[tested["id"]]["passed"], runs[tested["id"]]["total"]) == (0, 3)
    assert runs[tested["id"]]["status"] == "ok"  # the program ran; its answers were wrong
    assert "total" not in runs[plain["id"]] and "passed" not in runs[plain["id"]]


def test_compiled_language_compiles_once(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead, language="c")
    present(run_server, lead, room["id"], q)
    run = run_tests(run_server, lead, room["id"], code=C_UPPER, language="c").json()
    assert run["status"] == "ok" and run["passed"] == 3, run
    broken = run_tests(run_server, lead, room["id"], code="int main(", language="c").json()
    assert broken["status"] == "compile_error" and broken["passed"] == 0, broken
    assert "error" in broken["compile_output"]


def test_refusals(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    room = create_room(run_server, lead)
    candidate = join(run_server, room)
    r = run_tests(run_server, candidate, room["id"], code=ECHO_UPPER)
    assert r.status_code == 409 and "presented" in r.json()["detail"]
    other = create_room(run_server, lead)
    assert run_tests(run_server, candidate, other["id"], code="x").status_code == 404
    with api(run_server) as c:
        r = c.post(f"/api/rooms/{room['id']}/runs", json={"tests": True})
        assert r.status_code == 401


async def test_events_show_hidden_details_to_interviewers_only(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead)
    candidate = join(run_server, room)
    async with (
        events(run_server, room["id"], candidate.token) as cand,
        events(run_server, room["id"], lead.token) as interviewer,
        code_doc(run_server, room["id"], candidate.token) as editor,
    ):
        await asyncio.to_thread(present, run_server, lead, room["id"], q)
        await editor.wait_for(lambda text: text == q["starters"]["python"])
        r = await asyncio.to_thread(run_tests, run_server, candidate, room["id"],
                                    code=ECHO_UPPER)
        assert r.status_code == 201
        finished = await cand.next("run.finished")
        assert_candidate_view(finished["run"]["tests"])
        assert finished["run"]["passed"] == 3
        await interviewer.next("run.finished")  # the same as everyone's, then the details
        full = await interviewer.next("run.tests")
        assert full["run"]["tests"][2]["expected_stdout"].startswith("SENTINEL-HIDDEN-STDIN")
        await asyncio.sleep(0.5)
        seen = await drain(cand)
        assert "run.tests" not in [m["type"] for m in seen]
        everything = json.dumps(seen) + "".join(f.hex() for f in editor.frames)
        raw = b"".join(editor.frames)
        for sentinel in SENTINELS:
            assert sentinel not in everything and sentinel.encode() not in raw


async def drain(sock: EventsClient) -> list[dict[str, Any]]:
    out = []
    while not sock.inbox.empty():
        out.append(sock.inbox.get_nowait())
    return out
