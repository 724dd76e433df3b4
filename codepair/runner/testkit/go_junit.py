"""``go test -json`` on stdin to a JUnit XML report (the path in argv[1]), for a project
question's tests run. Runs inside the sandbox, with Python's standard library only.

Each test case names the ``_test.go`` file that declares its function (``file``), so the
server can tell a hidden file's tests; a package that failed without any test (a build error)
becomes one failed case named after the package, with the output as its message. Exits 1 when
a test failed, as ``go test`` does.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(", re.MULTILINE)
MAX_OUTPUT = 4000


def module_path(root: Path) -> str:
    """The module's path from ``go.mod``, or "" (GOPATH mode: packages are ``_/abs/dir``)."""
    try:
        text = (root / "go.mod").read_text(encoding="utf-8")
    except OSError:
        return ""
    found = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    return found.group(1) if found else ""


def package_dir(package: str, module: str, root: Path) -> str:
    """The folder of ``package`` relative to ``root`` ("" for the root itself)."""
    if module and (package == module or package.startswith(module + "/")):
        return package[len(module) + 1 :]
    absolute = package.removeprefix("_")
    if absolute.startswith(str(root)):
        return absolute[len(str(root)) :].strip("/")
    return ""


def test_files(root: Path, folder: str) -> dict[str, str]:
    """Test function name -> the ``_test.go`` file (relative to ``root``) that declares it."""
    out: dict[str, str] = {}
    base = root / folder if folder else root
    for path in sorted(base.glob("*_test.go")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in _FUNC.findall(text):
            out.setdefault(name, str(path.relative_to(root)))
    return out


@dataclass
class Record:
    """What ``go test -json`` said of one test or one package."""

    output: list[str] = field(default_factory=list)
    action: str | None = None
    elapsed: float = 0.0


def convert(lines: list[str], root: Path) -> tuple[ElementTree.Element, bool]:
    """The report's root element, and whether every test passed."""
    module = module_path(root)
    cases: dict[tuple[str, str], Record] = {}
    packages: dict[str, Record] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        package, test, action = event.get("Package", ""), event.get("Test"), event.get("Action")
        holder = packages.setdefault(package, Record())
        if test:
            holder = cases.setdefault((package, test), Record())
        if action == "output":
            holder.output.append(str(event.get("Output", "")))
        elif action in ("pass", "fail", "skip"):
            holder.action = action
            holder.elapsed = float(event.get("Elapsed") or 0.0)
    suites = ElementTree.Element("testsuites")
    ok = True
    for package in sorted(packages):
        folder = package_dir(package, module, root)
        files = test_files(root, folder)
        suite = ElementTree.SubElement(suites, "testsuite", name=package)
        mine = sorted((t, c) for (p, t), c in cases.items() if p == package)
        for test, case in mine:
            element = ElementTree.SubElement(
                suite, "testcase", name=test, classname=package,
                time=f"{case.elapsed:.3f}",
            )
            file = files.get(test.split("/", 1)[0])
            if file:
                element.set("file", file)
            output = "".join(case.output)[-MAX_OUTPUT:]
            if case.action == "fail" or case.action is None:
                ok = False
                failure = ElementTree.SubElement(element, "failure", message="failed")
                failure.text = output
            elif case.action == "skip":
                ElementTree.SubElement(element, "skipped", message=output.strip()[-200:])
        if not mine and packages[package].action == "fail":
            ok = False  # no test ran: the package did not build
            element = ElementTree.SubElement(
                suite, "testcase", name="(build)", classname=package,
                file=f"{folder}/" if folder else "",
            )
            error = ElementTree.SubElement(element, "error", message="the package failed")
            error.text = "".join(packages[package].output)[-MAX_OUTPUT:]
    return suites, ok


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: go test -json ./... | python3 go_junit.py REPORT.xml", file=sys.stderr)
        return 2
    lines = sys.stdin.read().splitlines()
    for line in lines:  # the people reading the output see go test's own words
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("Action") == "output":
                sys.stdout.write(event.get("Output", ""))
        else:
            print(line)
    report, ok = convert(lines, Path.cwd())
    Path(sys.argv[1]).parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(report).write(sys.argv[1], encoding="utf-8", xml_declaration=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
