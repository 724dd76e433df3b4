"""Per-test results of a project question's tests run, from the JUnit XML its command wrote.

The test command writes the report to the path in ``CODEPAIR_JUNIT_XML`` (pytest
``--junitxml``, the Node test runner's ``junit`` reporter, JUnit's console launcher, a
``go test`` converter). Every ``testcase`` is one result: passed unless it holds a
``failure`` or an ``error`` (a ``skipped`` one did not pass either, and says so).

A test is hidden when it comes from one of the question's hidden files: its ``file``
attribute names one, or its ``classname`` is one's dotted path (pytest's
``tests.test_hidden``, Java's ``com.acme.HiddenTest``). When the question has hidden files and
a test cannot be traced to a file, it is taken as hidden: a candidate must never see a hidden
test's message, and a visible test shown as hidden loses only its message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from typing import Any

#: What a result keeps of a failure's message and details.
MESSAGE_CHARS = 2000
MAX_CASES = 1000


class ReportError(ValueError):
    """The report is missing or is not JUnit XML; the message says which, for people."""


def _dotted(path: str) -> str:
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    return stem.replace("/", ".")


def hidden_test(case: ElementTree.Element, hidden_files: Iterable[str]) -> bool:
    """Whether ``case`` comes from one of ``hidden_files`` (see the module)."""
    hidden = list(hidden_files)
    if not hidden:
        return False
    file = (case.get("file") or "").removeprefix("./").removeprefix("/build/")
    if file:  # the report names the test's file: that alone decides
        return file in hidden
    classname = case.get("classname") or ""
    if not classname:
        return True
    for path in hidden:
        dotted = _dotted(path)
        if (
            classname == dotted
            or classname.startswith(dotted + ".")
            or dotted.endswith("." + classname)
        ):
            return True
    return False


def parse(report: str | None, hidden_files: Iterable[str]) -> list[dict[str, Any]]:
    """One result per test case of ``report``: ``name, hidden, passed, status, message``."""
    if not report:
        raise ReportError("the test command wrote no JUnit XML report to $CODEPAIR_JUNIT_XML")
    try:
        root = ElementTree.fromstring(report)
    except ElementTree.ParseError as exc:
        raise ReportError(f"the JUnit XML report cannot be read ({exc})") from None
    hidden = list(hidden_files)
    results: list[dict[str, Any]] = []
    for case in root.iter("testcase"):
        if len(results) >= MAX_CASES:
            break
        outcome = next(
            (child for child in case if child.tag in ("failure", "error", "skipped")), None
        )
        status = "passed" if outcome is None else str(outcome.tag)
        message = ""
        if outcome is not None:
            message = " ".join(filter(None, [outcome.get("message"), (outcome.text or "").strip()]))
        classname = case.get("classname") or ""
        name = case.get("name") or "(unnamed)"
        results.append(
            {
                "name": f"{classname}::{name}" if classname else name,
                "hidden": hidden_test(case, hidden),
                "passed": outcome is None,
                "status": status,
                "message": message[:MESSAGE_CHARS],
                "wall_ms": _millis(case.get("time")),
            }
        )
    if not results:
        raise ReportError("the JUnit XML report holds no test case")
    return results


def _millis(seconds: str | None) -> int | None:
    try:
        return round(float(seconds or "") * 1000)
    except ValueError:
        return None
