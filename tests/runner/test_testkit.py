"""The runners' test kit without a sandbox: the go test -json converter names each test's
file (so hidden tests are known) and turns a package that did not build into one failure."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from codepair.domain.questions import junit
from codepair.runner.testkit.go_junit import convert


def events(*rows: dict[str, object]) -> list[str]:
    return [json.dumps(row) for row in rows]


def test_go_tests_carry_their_file_and_outcome(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module demo\n\ngo 1.19\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "lib_test.go").write_text("func TestSeen(t *testing.T) {}\n")
    (tmp_path / "lib" / "hidden_test.go").write_text("func TestHidden(t *testing.T) {}\n")
    report, ok = convert(events(
        {"Action": "run", "Package": "demo/lib", "Test": "TestSeen"},
        {"Action": "pass", "Package": "demo/lib", "Test": "TestSeen", "Elapsed": 0.01},
        {"Action": "output", "Package": "demo/lib", "Test": "TestHidden/sub",
         "Output": "boom\n"},
        {"Action": "fail", "Package": "demo/lib", "Test": "TestHidden/sub"},
        {"Action": "fail", "Package": "demo/lib", "Test": "TestHidden"},
        {"Action": "fail", "Package": "demo/lib"},
    ), tmp_path)
    assert ok is False
    text = ElementTree.tostring(report, encoding="unicode")
    results = {r["name"]: r for r in junit.parse(text, ["lib/hidden_test.go"])}
    assert results["demo/lib::TestSeen"] == {**results["demo/lib::TestSeen"],
                                             "passed": True, "hidden": False}
    assert results["demo/lib::TestHidden/sub"]["hidden"] is True
    assert "boom" in results["demo/lib::TestHidden/sub"]["message"]


def test_a_package_that_did_not_build_is_one_failure(tmp_path: Path) -> None:
    report, ok = convert(events(
        {"Action": "output", "Package": "demo", "Output": "x.go:3: undefined: y\n"},
        {"Action": "fail", "Package": "demo"},
    ), tmp_path)
    assert ok is False
    (case,) = junit.parse(ElementTree.tostring(report, encoding="unicode"), [])
    assert case["name"] == "demo::(build)" and not case["passed"]
    assert "undefined: y" in case["message"]
