"""Questions as files: import, export, idempotent re-import, the starter set round trip, and
every starter question's solution passing its own tests in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from codepair.commands.question_files import STARTER_DIR
from tests.conftest import ServerFactory
from tests.questions.qsupport import api
from tests.questions.test_tests_runs import TOOLCHAINS
from tests.runner.runner_support import require_bwrap
from tests.support.api import bootstrap_lead
from tests.support.server import Server


@pytest.fixture(scope="module")
def bank_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    return server_factory({"CODEPAIR_RUNNER_TOOLCHAINS_DIR": TOOLCHAINS,
                           "CODEPAIR_RUNS_PER_MINUTE_PER_PERSON": "200"})


# Five `codepair` commands (each a Python start with the whole app) on a busy machine.
@pytest.mark.timeout(300)
def test_starter_set_imports_once_and_round_trips(bank_server: Server, tmp_path: Path) -> None:
    starters = sorted(STARTER_DIR.glob("*.yaml"))
    assert len(starters) >= 10
    first = bank_server.cli("questions", "import", str(STARTER_DIR))
    assert f"{len(starters)} created, 0 updated, 0 unchanged, 0 refused" in first.stdout
    again = bank_server.cli("questions", "starter")
    assert f"0 created, 0 updated, {len(starters)} unchanged, 0 refused" in again.stdout
    out = tmp_path / "exported"
    bank_server.cli("questions", "export", str(out))
    for path in starters:  # byte for byte: the files a team reviews are what it gets back
        assert (out / path.name).read_text() == path.read_text(), path.name

    # An edit in a file updates that question only; the bank then exports the edit.
    edited = out / "fizzbuzz.yaml"
    edited.write_text(edited.read_text().replace("title: FizzBuzz", "title: FizzBuzz 2"))
    third = bank_server.cli("questions", "import", str(out))
    assert f"0 created, 1 updated, {len(starters) - 1} unchanged" in third.stdout
    lead = bootstrap_lead(bank_server)
    with api(bank_server) as c:
        found = c.get("/api/questions", headers=lead.headers, params={"q": "FizzBuzz 2"}).json()
        assert found["total"] == 1 and found["items"][0]["slug"] == "fizzbuzz"
        assert len(found["items"][0]["starters"]) == 3


def test_a_bad_file_is_refused_with_its_reason(bank_server: Server, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("title: [unclosed\n")
    (tmp_path / "no-title.yaml").write_text("prompt: hi\n")
    (tmp_path / "bad-level.yaml").write_text("title: X\ndifficulty: impossible\n")
    (tmp_path / "good-one.yaml").write_text("title: Good\ntests:\n- name: t\n  stdin: ''\n")
    done = bank_server.cli("questions", "import", str(tmp_path), check=False)
    assert done.returncode == 1
    assert "broken.yaml: not valid YAML" in done.stderr
    assert "no-title.yaml: title" in done.stderr
    assert "bad-level.yaml: difficulty" in done.stderr
    assert "1 created, 0 updated, 0 unchanged, 3 refused" in done.stdout


@pytest.mark.timeout(300)  # 48 sandboxed suites
def test_every_starter_solution_passes_and_every_starter_runs(bank_server: Server) -> None:
    bank_server.cli("questions", "starter")
    lead = bootstrap_lead(bank_server)
    with api(bank_server) as c:
        items = c.get("/api/questions", headers=lead.headers, params={"limit": 100}).json()
        # Project questions (a tree and a test command) are graded by
        # tests/projects/test_starter_projects.py against their reference solutions.
        starter = [q for q in items["items"] if q["slug"] and not q.get("test_command") and
                   (STARTER_DIR / f"{q['slug']}.yaml").exists()]
        assert len(starter) >= 10
        for q in starter:
            r = c.post(f"/api/questions/{q['id']}/try", headers=lead.headers, json={})
            assert r.status_code == 200, r.text
            result = r.json()
            assert result["passed"] == result["total"] > 0, (q["slug"], result)
            for language in ("python", "javascript", "c"):
                r = c.post(f"/api/questions/{q['id']}/try", headers=lead.headers,
                           json={"language": language, "code": q["starters"][language]})
                assert r.status_code == 200, r.text
                ran = r.json()
                assert ran["status"] == "ok", (q["slug"], language, ran)
                assert {t["status"] for t in ran["tests"]} == {"ok"}, (q["slug"], language)
