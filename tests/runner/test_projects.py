"""Runs of a whole project tree in the local sandbox: every file is there, the build takes every
source it needs, a command line runs in the project's folder (docs/projects.md)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from codepair.runner.executor import RunRequest
from codepair.runner.languages import default_specs
from codepair.runner.local import LocalExecutor
from codepair.runner.projects import project_argv, project_sources, write_tree
from tests.runner.runner_support import BASE_LANGUAGES


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()


async def run(executor: LocalExecutor, request: RunRequest) -> tuple[str, str, str]:
    if not executor.supports(request.language):
        if request.language in BASE_LANGUAGES and os.environ.get("CI"):
            pytest.fail(f"{request.language} toolchain missing")
        pytest.skip(f"{request.language} is not installed here")
    result = await executor.run(request)
    return result.status, result.stdout, result.stderr + result.compile_output + result.message


async def test_python_imports_a_package_of_the_tree_and_reads_a_data_file(
    executor: LocalExecutor,
) -> None:
    request = RunRequest(
        language="python",
        entry="app.py",
        code="from lib.greet import hello\nprint(hello(open('data/name.txt').read().strip()))\n",
        files={
            "lib/__init__.py": "",
            "lib/greet.py": "def hello(who):\n    return f'hello, {who}'\n",
            "data/name.txt": "tree\n",
        },
    )
    assert await run(executor, request) == ("ok", "hello, tree\n", "")


async def test_c_links_every_source_file(executor: LocalExecutor) -> None:
    request = RunRequest(
        language="c",
        entry="main.c",
        code='#include <stdio.h>\n#include "add.h"\nint main(void){printf("%d\\n", add(2, 3));}\n',
        files={"add.h": "int add(int, int);\n", "add.c": "int add(int a, int b){return a + b;}\n"},
    )
    status, out, err = await run(executor, request)
    assert (status, out) == ("ok", "5\n"), err


async def test_java_compiles_every_class(executor: LocalExecutor) -> None:
    request = RunRequest(
        language="java",
        entry="Main.java",
        code="public class Main { public static void main(String[] a) {"
        " System.out.println(Util.twice(21)); } }\n",
        files={"Util.java": "class Util { static int twice(int x) { return 2 * x; } }\n"},
    )
    status, out, err = await run(executor, request)
    assert (status, out) == ("ok", "42\n"), err


async def test_typescript_bundles_what_the_entry_imports(executor: LocalExecutor) -> None:
    request = RunRequest(
        language="typescript",
        entry="src/index.ts",
        code="import { shout } from './shout'\nconsole.log(shout('hi'))\n",
        files={"src/shout.ts": "export const shout = (s: string): string => s.toUpperCase()\n"},
    )
    status, out, err = await run(executor, request)
    assert (status, out) == ("ok", "HI\n"), err


async def test_a_command_line_runs_in_the_project_folder(executor: LocalExecutor) -> None:
    request = RunRequest(
        language="python",
        entry="main.py",
        code="print('from main')\n",
        files={"tests/check.py": "import sys\nprint('check', sys.argv[1])\n"},
        command="ls -R . | head -n 20 && python3 tests/check.py ok && python3 main.py",
        stdin="",
    )
    status, out, err = await run(executor, request)
    assert status == "ok", err
    assert "check.py" in out and out.endswith("check ok\nfrom main\n")

    failing = RunRequest(language="python", entry="main.py", code="", command="exit 3")
    status, _out, _err = await run(executor, failing)
    assert status == "runtime_error"


async def test_a_broken_build_is_a_compile_error(executor: LocalExecutor) -> None:
    request = RunRequest(
        language="c", entry="main.c", code="int main(void){return helper();}\n",
        files={"helper.c": "int helper(void){ return }\n"},
    )
    status, _out, err = await run(executor, request)
    assert status == "compile_error" and "helper.c" in err


def test_the_build_takes_the_sources_it_needs() -> None:
    specs = default_specs()
    tree = {"main.go": "", "util.go": "", "util_test.go": "", "sub/x.go": "", "README.md": ""}
    assert project_sources(specs["go"], "main.go", tree) == ["main.go", "util.go"]
    tree = {"src/main.cpp": "", "src/a.cc": "", "b.cpp": "", "x.h": ""}
    want = ["src/main.cpp", "b.cpp", "src/a.cc"]
    assert project_sources(specs["cpp"], "src/main.cpp", tree) == want
    assert project_sources(specs["python"], "app.py", {"app.py": "", "b.py": ""}) == ["app.py"]
    java = specs["java"]
    argv = project_argv(java, java.run, ["app/Main.java"], "app/Main.java", 256, build="/build")
    assert argv[-1] == "Main" and "-Xmx256m" in argv
    python = specs["python"]
    assert project_argv(python, python.run, ["src/app.py"], "src/app.py", 256, build="/build") == [
        "python3",
        "src/app.py",
    ]


@pytest.mark.parametrize("path", ["../escape.py", "/etc/x", "a/../../b"])
def test_a_path_outside_the_project_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(ValueError, match="outside the project"):
        write_tree(tmp_path / "p", {path: "x"}, None)
    assert not (tmp_path / "escape.py").exists()
