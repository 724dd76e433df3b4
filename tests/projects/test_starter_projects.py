"""The bank's starter projects, graded for real: each one, presented in a room, FAILS its
tests run with the starter tree (per-test results, the hidden tests among them) and PASSES it
once its reference solution (tests/projects/solutions/<slug>/, never in the bank) is typed in
by a y-websocket client. Real server, real sandbox, the toolchains `make test` installs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from codepair.commands.question_files import STARTER_DIR, read_file
from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.projects.test_project_tests_runs import call, run_the_tests
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import TOOLCHAINS, runner_env
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server

SOLUTIONS = Path(__file__).resolve().parent / "solutions"
JUNIT_JAR = "/usr/share/java/junit-platform-console-standalone.jar"
ESBUILD = Path(TOOLCHAINS) / "node_modules" / "@esbuild" / "linux-x64" / "bin" / "esbuild"

#: slug -> (the room's language, what the project's tests need on this machine)
PROJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "project-python-cart": ("python", ("python3", "pytest-3")),
    "project-typescript-rate-limiter": ("typescript", ("node", str(ESBUILD))),
    "project-java-bank-account": ("java", ("javac", "java", JUNIT_JAR)),
    "project-go-word-frequency": ("go", ("go", "python3")),
    "project-cpp-ring-buffer": ("cpp", ("g++", "make")),
    "project-react-todo-list": (
        "typescript",
        ("node", str(ESBUILD), f"{TOOLCHAINS}/node_modules/react/package.json",
         f"{TOOLCHAINS}/node_modules/react-dom/package.json"),
    ),
}


def require_tools(tools: tuple[str, ...]) -> None:
    missing = [t for t in tools if not (Path(t).exists() if "/" in t else shutil.which(t))]
    if missing:
        why = f"missing for this starter project: {', '.join(missing)} (make test installs them)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def bank_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    server = server_factory(runner_env(
        # javac and the JUnit launcher, or g++, on a machine shared with other test suites.
        CODEPAIR_RUNNER_COMPILE_TIME_LIMIT_SECONDS="30",
        CODEPAIR_RUNNER_WAIT_SECONDS="90",
        CODEPAIR_RUNS_PER_MINUTE_PER_PERSON="200",
    ))
    server.cli("questions", "starter")
    return server


def test_every_project_of_the_bank_has_a_reference_solution() -> None:
    """A starter project without a solution would be graded by nothing."""
    projects = sorted(p.stem for p in STARTER_DIR.glob("*.yaml")
                      if read_file(p)[1]["test_command"])
    assert projects == sorted(PROJECTS)
    for slug in projects:
        assert any((SOLUTIONS / slug).rglob("*")), slug


def solution(slug: str) -> dict[str, str]:
    base = SOLUTIONS / slug
    return {str(p.relative_to(base)): p.read_text() for p in sorted(base.rglob("*"))
            if p.is_file()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("slug", sorted(PROJECTS))
async def test_starter_fails_and_its_solution_passes(
    slug: str, node: NodeClients, bank_server: Server
) -> None:
    language, tools = PROJECTS[slug]
    require_tools(tools)
    _, question, _ = read_file(STARTER_DIR / f"{slug}.yaml")
    lead = bootstrap_lead(bank_server)
    found = call(bank_server, lead, "GET", "/api/questions", params={"limit": 100}).json()
    qid = next(q["id"] for q in found["items"] if q["slug"] == slug)
    room = create_room(bank_server, lead, language=language)
    rq = call(bank_server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": qid}).json()
    presented = call(bank_server, lead, "POST",
                     f"/api/rooms/{room['id']}/questions/{rq['id']}/present")
    assert presented.status_code == 200, presented.text
    cand = join(bank_server, room)
    hidden_paths = set(question["hidden_files"])

    # The starter tree: the tests run, some (at least the hidden ones) fail, one result each.
    run: dict[str, Any] = run_the_tests(bank_server, cand, room["id"]).json()
    assert run["status"] == "ok", (run["stderr"], run["stdout"][-2000:])
    assert run["total"] >= 4 and run["passed"] < run["total"], run
    hidden = [t for t in run["tests"] if t["hidden"]]
    visible = [t for t in run["tests"] if not t["hidden"]]
    assert len(hidden) == 2 and not any(t["passed"] for t in hidden), run["tests"]
    assert visible and all(set(t) >= {"name", "passed", "message"} for t in visible)
    assert any(not t["passed"] and t["message"] for t in visible), visible
    # A candidate sees a hidden test's name and outcome only, never its file or message.
    assert all(set(t) == {"name", "hidden", "passed"} for t in hidden), hidden
    assert not any(path in str(run) for path in hidden_paths)
    full = call(bank_server, lead, "GET", f"/api/rooms/{room['id']}/runs/{run['id']}").json()
    assert all(t["message"] for t in full["tests"] if t["hidden"])  # the interviewer sees why

    # The reference solution, typed in by the candidate's editor: every test passes.
    fix = solution(slug)
    assert not hidden_paths & fix.keys()
    await node.connect("c", bank_server.ws_url, room["id"], "code", cand.token)
    await node.call("setFiles", client="c", files=fix)
    await node.connect("lead", bank_server.ws_url, room["id"], "code", lead.token)
    assert (await node.call("waitFiles", client="lead", files=fix))["ok"]
    run = run_the_tests(bank_server, cand, room["id"]).json()
    assert run["status"] == "ok", (run["stderr"], run["stdout"][-2000:])
    assert run["passed"] == run["total"] >= 4, run["tests"]
