"""Project questions in the bank and in a room: the starter tree, hidden files, the entry and
the commands are kept and copied; a candidate sees the starter tree and nothing else of them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.api import Actor, create_room, join
from tests.support.server import Server

PROJECT = {
    "title": "Word count",
    "prompt": "Make `count` pass its tests.",
    "entry": "wc/cli.py",
    "files": {"wc/__init__.py": "", "wc/cli.py": "def count(text):\n    return 0\n"},
    "hidden_files": {"tests/test_hidden.py": "def test_secret(): assert True\n"},
    "run_command": "python3 -m wc.cli",
    "test_command": "python3 -m pytest -q --junitxml=$CODEPAIR_JUNIT_XML tests",
}


def call(server: Server, actor: Actor, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=actor.headers, timeout=10, **kw)


def test_a_project_question_keeps_its_tree_and_hides_what_it_should(
    server: Server, lead: Actor
) -> None:
    created = call(server, lead, "POST", "/api/questions", json=PROJECT)
    assert created.status_code == 201, created.text
    question = created.json()
    for key in ("files", "hidden_files", "entry", "run_command", "test_command"):
        assert question[key] == PROJECT[key], key

    room = create_room(server, lead)
    added = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions",
                 json={"question_id": question["id"]})
    assert added.status_code == 201, added.text
    rq = added.json()
    assert rq["hidden_files"] == PROJECT["hidden_files"] and rq["entry"] == "wc/cli.py"
    presented = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions/{rq['id']}/present")
    assert presented.status_code == 200, presented.text

    candidate = join(server, room)
    seen = call(server, candidate, "GET", f"/api/rooms/{room['id']}/questions").json()["items"]
    assert len(seen) == 1
    assert seen[0]["files"] == PROJECT["files"] and seen[0]["entry"] == "wc/cli.py"
    for hidden in ("hidden_files", "run_command", "test_command", "solution", "guidance"):
        assert hidden not in seen[0], hidden
    assert "test_hidden" not in str(seen)


def test_bad_project_trees_are_refused_with_the_rule_they_break(
    server: Server, lead: Actor
) -> None:
    for files, why in (
        ({"../escape.py": ""}, "'..'"),
        ({"/abs.py": ""}, "relative"),
        ({"a\x00b": ""}, "control"),
        ({"x" * 300: ""}, "255 bytes"),
        ({"big.txt": "x" * (1024 * 1024 + 1)}, "at most 1048576 bytes"),
        ({"lib": "", "lib/x.py": ""}, "both a file and a folder"),
    ):
        for field in ("files", "hidden_files"):
            answer = call(server, lead, "POST", "/api/questions",
                          json={**PROJECT, field: files})
            assert answer.status_code in (413, 422), (field, why, answer.text)
            if answer.status_code == 422:
                assert why in answer.text, (field, why, answer.text)
    answer = call(server, lead, "POST", "/api/questions", json={**PROJECT, "entry": "../x.py"})
    assert answer.status_code == 422 and "'..'" in answer.text


async def test_presenting_puts_the_starter_tree_in_a_live_room_on_the_editors_terms(
    node: Any, server: Server, lead: Actor
) -> None:
    question = call(server, lead, "POST", "/api/questions", json=PROJECT).json()
    room = create_room(server, lead, language="python")
    rq = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": question["id"]}).json()
    cand = join(server, room)
    assert (await node.connect("c", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("setFiles", client="c", files={"mine.py": "my own work\n"})
    present = f"/api/rooms/{room['id']}/questions/{rq['id']}/present"
    for _ in range(100):  # the candidate's file reaches the hub: presenting must not drop it
        refused = call(server, lead, "POST", present)
        if refused.status_code == 409:
            break
        await asyncio.sleep(0.05)
    assert refused.status_code == 409 and "replace_code" in refused.text
    assert (await node.call("files", client="c"))["files"] == {"mine.py": "my own work\n"}

    replaced = call(server, lead, "POST", present, json={"replace_code": True})
    assert replaced.status_code == 200 and replaced.json()["code_replaced"] is True
    others = {k: v for k, v in PROJECT["files"].items() if k != "wc/cli.py"}
    assert (await node.call("waitFiles", client="c", files=others))["ok"]
    assert (await node.call("files", client="c"))["files"] == others  # mine.py went
    assert (await node.call("meta", client="c"))["meta"]["entry"] == "wc/cli.py"
    assert await node.text("c") == PROJECT["files"]["wc/cli.py"]


def test_a_tree_presented_in_a_room_nobody_opened_keeps_its_entry_file(
    server: Server, lead: Actor
) -> None:
    """No `entry` on the question and no language in the stored document yet: the entry is
    the room language's usual file, and its text is the code (it was lost to `main.txt`)."""
    body = {**PROJECT, "entry": "", "files": {"main.py": "print(41)\n", "lib.py": "X = 1\n"}}
    question = call(server, lead, "POST", "/api/questions", json=body).json()
    room = create_room(server, lead, language="python")
    rq = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": question["id"]}).json()
    present = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions/{rq['id']}/present")
    assert present.status_code == 200 and present.json()["code_replaced"] is True
    for _ in range(100):
        history = call(server, lead, "GET", f"/api/rooms/{room['id']}/history/code").json()
        if history["files"] != {"main.py": ""}:
            break
    assert history["entry"] == "main.py"
    assert history["text"] == "print(41)\n"
    assert history["files"] == {"main.py": "print(41)\n", "lib.py": "X = 1\n"}
