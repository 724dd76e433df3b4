"""Every GET in the API, asked with a candidate's token in a room whose question carries
sentinels in its hidden test, solution, guidance and rubric: no answer holds one."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ServerFactory
from tests.questions.qsupport import ECHO_UPPER, SENTINELS, api, create_question
from tests.questions.test_tests_runs import TOOLCHAINS, present, run_tests
from tests.runner.runner_support import require_bwrap
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server


@pytest.fixture(scope="module")
def run_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory({"CODEPAIR_RUNNER_TOOLCHAINS_DIR": TOOLCHAINS})


def test_no_candidate_answer_holds_a_sentinel(run_server: Server) -> None:
    lead = bootstrap_lead(run_server)
    q = create_question(run_server, lead)
    room = create_room(run_server, lead)
    rq_id = present(run_server, lead, room["id"], q)
    candidate = join(run_server, room)
    passing = run_tests(run_server, candidate, room["id"], code=ECHO_UPPER).json()
    failing = run_tests(run_server, candidate, room["id"], code="print('no')").json()
    # An interviewer's run too: the candidate lists every run of the room.
    run_tests(run_server, lead, room["id"], code=ECHO_UPPER)
    ids = {
        "room_id": room["id"], "id": room["id"], "run_id": passing["id"], "rq_id": rq_id,
        "question_id": q["id"], "doc": "code",
    }
    with api(run_server) as c:
        schema = c.get("/api/openapi.json").json()
        asked = answered = 0
        for path, methods in schema["paths"].items():
            if "get" not in methods:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)
            for params in ({}, {"format": "json"}, {"format": "md"}):
                r = c.get(url, headers=candidate.headers, params=params)
                asked += 1
                answered += r.status_code == 200
                for sentinel in SENTINELS:
                    assert sentinel not in r.text, (url, params, r.status_code)
        # The candidate's own endpoints did answer (the sweep is not all refusals).
        assert answered >= 5, answered
        for run in (passing, failing):
            r = c.get(f"/api/rooms/{room['id']}/runs/{run['id']}", headers=candidate.headers)
            assert r.status_code == 200
            hidden = [t for t in r.json()["tests"] if t["hidden"]]
            assert hidden == [{"name": "secret", "hidden": True, "passed": run is passing}]
    assert asked > 20
