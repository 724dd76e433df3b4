"""A project question's tests run through the real server: pytest over the room's tree and the
question's hidden files, per-test results from its JUnit XML, and nothing of a hidden test
(its code, its input, its failure message) for the candidate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import runner_env
from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.server import Server

SENTINEL = "SENTINEL-HIDDEN-TEST-4b1f"
WRONG = "def count(text):\n    return 0\n"
RIGHT = "def count(text):\n    return len(text.split())\n"
QUESTION = {
    "title": "Count the words",
    "prompt": "Make `wc.core.count` pass its tests.",
    "entry": "main.py",
    "files": {
        "main.py": "from wc.core import count\nprint(count(input()))\n",
        "wc/__init__.py": "",
        "wc/core.py": WRONG,
        "tests/test_visible.py": (
            "from wc.core import count\n\n"
            "def test_empty():\n    assert count('') == 0\n\n"
            "def test_two_words():\n    assert count('a b') == 2\n"
        ),
    },
    "hidden_files": {
        "tests/test_hidden.py": (
            "from wc.core import count\n\n"
            f"def test_many_spaces():\n    assert count('{SENTINEL}  x   y') == 3\n"
        ),
    },
    "test_command": "python3 -m pytest -q -p no:cacheprovider --junitxml=$CODEPAIR_JUNIT_XML tests",
}


@pytest.fixture(scope="module")
def run_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory(runner_env(CODEPAIR_RUNNER_COMPILE_TIME_LIMIT_SECONDS="20"))


def call(server: Server, actor: Actor, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=actor.headers, timeout=60, **kw)


def run_the_tests(server: Server, actor: Actor, room_id: str) -> httpx.Response:
    answer = call(server, actor, "POST", f"/api/rooms/{room_id}/runs", json={"tests": True})
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] not in ("queued", "running")
    return answer


async def test_hidden_tests_grade_the_tree_and_stay_hidden(
    node: NodeClients, run_server: Server
) -> None:
    lead = bootstrap_lead(run_server)
    created = call(run_server, lead, "POST", "/api/questions", json=QUESTION)
    assert created.status_code == 201, created.text
    room = create_room(run_server, lead, language="python")
    rq = call(run_server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": created.json()["id"]}).json()
    present = f"/api/rooms/{room['id']}/questions/{rq['id']}/present"
    presented = call(run_server, lead, "POST", present)
    assert presented.status_code == 200, presented.text
    cand = join(run_server, room)

    assert presented.json()["code_replaced"] is True
    # Presenting put the question's starter tree in the room: main.py is the entry (`code`),
    # the other files are in `files`; the hidden ones are not.
    starter = {k: v for k, v in QUESTION["files"].items() if k != "main.py"}
    for name, token in (("c", cand.token), ("lead", lead.token)):
        reply = await node.connect(name, run_server.ws_url, room["id"], "code", token)
        assert reply["synced"]
        assert (await node.call("waitFiles", client=name, files=starter))["ok"]
        assert await node.text(name) == QUESTION["files"]["main.py"]
        assert "tests/test_hidden.py" not in (await node.call("files", client=name))["files"]

    answer = run_the_tests(run_server, cand, room["id"])
    run = answer.json()
    assert SENTINEL not in answer.text and "test_hidden.py" not in answer.text
    assert run["status"] == "ok", run  # the tests ran; some failed
    assert (run["passed"], run["total"]) == (1, 3)
    by_name = {t["name"]: t for t in run["tests"]}
    assert by_name["tests.test_visible::test_empty"]["passed"] is True
    visible_failure = by_name["tests.test_visible::test_two_words"]
    assert visible_failure["passed"] is False and "assert 0 == 2" in visible_failure["message"]
    assert by_name["tests.test_hidden::test_many_spaces"] == {
        "name": "tests.test_hidden::test_many_spaces", "hidden": True, "passed": False,
    }
    # The interviewer sees why the hidden test failed.
    full = call(run_server, lead, "GET", f"/api/rooms/{room['id']}/runs/{run['id']}").json()
    hidden = next(t for t in full["tests"] if t["hidden"])
    assert SENTINEL in hidden["message"]
    # Nothing the candidate may read holds the hidden test.
    for path in (f"/api/rooms/{room['id']}/runs", f"/api/rooms/{room['id']}/questions",
                 f"/api/rooms/{room['id']}/files.zip"):
        got = call(run_server, cand, "GET", path)
        assert got.status_code == 200 and SENTINEL.encode() not in got.content, path

    # The fix reaches the tree; every test passes.
    await node.call("setFiles", client="c", files={"wc/core.py": RIGHT})
    assert (await node.call("waitFiles", client="lead", files={"wc/core.py": RIGHT}))["ok"]
    run = run_the_tests(run_server, cand, room["id"]).json()
    assert (run["status"], run["passed"], run["total"]) == ("ok", 3, 3), run


async def test_a_test_command_that_writes_no_report_says_so(
    node: NodeClients, run_server: Server
) -> None:
    lead = bootstrap_lead(run_server)
    body = {**QUESTION, "title": "No report", "test_command": "echo no report here"}
    created = call(run_server, lead, "POST", "/api/questions", json=body).json()
    room = create_room(run_server, lead, language="python")
    rq = call(run_server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": created["id"]}).json()
    call(run_server, lead, "POST", f"/api/rooms/{room['id']}/questions/{rq['id']}/present")
    run = run_the_tests(run_server, lead, room["id"]).json()
    assert run["status"] == "runtime_error" and run["total"] == 0
    assert "wrote no JUnit XML report" in run["stderr"]
