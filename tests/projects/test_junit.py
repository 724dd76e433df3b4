"""Reading a project question's JUnit XML report, and reading it back from the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codepair.domain.questions.junit import ReportError, parse
from codepair.runner.projects import READ_BACK_MAX, read_back

PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4" time="0.05">
<testcase classname="tests.test_visible" name="test_empty" time="0.001" />
<testcase classname="tests.test_visible" name="test_words" time="0.002">
  <failure message="assert 0 == 2">def test_words():
&gt;       assert count("a b") == 2</failure></testcase>
<testcase classname="tests.test_hidden" name="test_secret" time="0.003">
  <failure message="assert 0 == 9">SECRET INPUT</failure></testcase>
<testcase classname="tests.test_visible" name="test_later" time="0"><skipped message="todo"/>
</testcase>
</testsuite></testsuites>"""

NODE_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testcase name="adds" time="0.000412" classname="test" file="/build/test/sum.test.js"/>
  <testcase name="hidden edge" time="0.0003" classname="test" file="/build/hidden/edge.test.js">
    <failure type="testCodeFailure" message="Expected 3">AssertionError</failure>
  </testcase>
</testsuites>"""


def test_a_pytest_report_gives_one_result_a_test_and_hides_the_hidden_files() -> None:
    results = parse(PYTEST_REPORT, ["tests/test_hidden.py"])
    assert [(r["name"], r["hidden"], r["passed"], r["status"]) for r in results] == [
        ("tests.test_visible::test_empty", False, True, "passed"),
        ("tests.test_visible::test_words", False, False, "failure"),
        ("tests.test_hidden::test_secret", True, False, "failure"),
        ("tests.test_visible::test_later", False, False, "skipped"),
    ]
    assert "assert count" in results[1]["message"]
    assert results[0]["wall_ms"] == 1


def test_a_node_report_is_traced_by_its_file() -> None:
    results = parse(NODE_REPORT, ["hidden/edge.test.js"])
    assert [(r["name"], r["hidden"], r["passed"]) for r in results] == [
        ("test::adds", False, True),
        ("test::hidden edge", True, False),
    ]


def test_a_test_that_cannot_be_traced_is_hidden_when_there_are_hidden_files() -> None:
    report = '<testsuite><testcase name="anonymous"/></testsuite>'
    assert parse(report, ["secret_test.py"])[0]["hidden"] is True
    assert parse(report, [])[0]["hidden"] is False


@pytest.mark.parametrize(
    ("report", "why"),
    [
        (None, "wrote no JUnit XML"),
        ("", "wrote no JUnit XML"),
        ("<testsuite>", "cannot be read"),
        ("not xml at all", "cannot be read"),
        ("<testsuite></testsuite>", "no test case"),
    ],
)
def test_a_missing_or_broken_report_says_what_is_wrong(report: str | None, why: str) -> None:
    with pytest.raises(ReportError, match=why):
        parse(report, [])


def test_entity_expansion_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']><testsuite><testcase name="&lol9;"/></testsuite>'
    )
    with pytest.raises(ReportError):
        parse(bomb, [])


def test_read_back_reads_the_projects_file_and_nothing_else(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".codepair").mkdir(parents=True)
    (project / ".codepair" / "junit.xml").write_text("<ok/>")
    assert read_back(project, ".codepair/junit.xml") == "<ok/>"
    assert read_back(project, ".codepair/missing.xml") is None

    secret = tmp_path / "server-secret"
    secret.write_text("do not read")
    (project / "link.xml").symlink_to(secret)
    assert read_back(project, "link.xml") is None
    (project / "linked").symlink_to(tmp_path)
    assert read_back(project, "linked/server-secret") is None
    os.mkfifo(project / "fifo.xml")
    assert read_back(project, "fifo.xml") is None  # would block a reader forever
    (project / "big.xml").write_bytes(b"x" * (READ_BACK_MAX + 1))
    assert read_back(project, "big.xml") is None
