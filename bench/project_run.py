"""What a whole tree costs a run: a Python run of a 200-file, 2 MiB project vs the same entry
file run alone, through the local executor (bubblewrap), alternating so both see the same load.

    .venv/bin/python bench/project_run.py [--runs 40]

Prints the median wall time of each, the difference (target: under 50 ms), and how long
writing the tree into the run's folder takes by itself. Also a C++ project (the tree's sources
compiled together) beside a one-file C++ run, for the compiled path.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codepair.config import Settings  # noqa: E402
from codepair.runner.executor import RunRequest  # noqa: E402
from codepair.runner.local import LocalExecutor  # noqa: E402
from codepair.runner.projects import write_tree  # noqa: E402

FILES = 200
TREE_BYTES = 2 * 1024 * 1024
ENTRY = "import pkg.mod_0\nprint('hello, world', pkg.mod_0.VALUE)\n"


def big_tree() -> dict[str, str]:
    """200 files, 2 MiB in all: a package of modules padded with comments, plus data files."""
    per_file = TREE_BYTES // FILES
    tree: dict[str, str] = {"pkg/__init__.py": ""}
    for i in range(FILES - 1):
        folder = "pkg" if i < 100 else f"data/part_{i % 10}"
        name = f"mod_{i}.py" if i < 100 else f"notes_{i}.txt"
        head = f"VALUE = {i}\n" if i < 100 else ""
        pad = ("# " + "x" * 76 + "\n") * ((per_file - len(head)) // 80)
        tree[f"{folder}/{name}"] = head + pad
    return tree


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def timed(executor: LocalExecutor, request: RunRequest) -> float:
    started = time.perf_counter()
    result = await executor.run(request)
    elapsed = time.perf_counter() - started
    if result.status != "ok":
        raise SystemExit(f"run failed: {result.status} {result.message} {result.stderr[-500:]}")
    return elapsed


async def compare(executor: LocalExecutor, runs: int, alone: RunRequest,
                  project: RunRequest) -> tuple[float, float]:
    for request in (alone, project):  # warm caches (page cache, mirrors)
        await timed(executor, request)
    one, whole = [], []
    for _ in range(runs):
        one.append(await timed(executor, alone))
        whole.append(await timed(executor, project))
    return median_ms(one), median_ms(whole)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="CODEPAIR_RUNNER_WORK_DIR: where run folders are made "
                             "(default: the system temp dir; try /dev/shm, a tmpfs)")
    args = parser.parse_args()
    tree = big_tree()
    size = sum(len(t.encode()) for t in tree.values()) + len(ENTRY)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), runner_concurrency=1,
                            runner_toolchains_dir=ROOT / "data" / "toolchains",
                            runner_work_dir=str(args.work_dir) if args.work_dir else None)
        executor = LocalExecutor(settings)
        await executor.start()
        if not executor.sandbox.sandboxed:
            raise SystemExit("bubblewrap is not installed: this measures the sandboxed path")
        where = args.work_dir or tempfile.gettempdir()
        print(f"run folders in {where}")
        print(f"tree: {len(tree) + 1} files, {size / 1024 / 1024:.2f} MiB; {args.runs} runs each")

        alone = RunRequest("python", ENTRY, files={"pkg/__init__.py": "",
                                                   "pkg/mod_0.py": "VALUE = 0\n"}, entry="main.py")
        one, whole = await compare(executor, args.runs, alone,
                                   RunRequest("python", ENTRY, files=tree, entry="main.py"))
        print(f"python, 3-file project       {one:7.1f} ms")
        print(f"python, 200-file project     {whole:7.1f} ms   added {whole - one:+.1f} ms")

        single = RunRequest("python", "print('hello, world')\n")
        plain, whole2 = await compare(executor, args.runs, single,
                                      RunRequest("python", ENTRY, files=tree, entry="main.py"))
        print(f"python, one-file run         {plain:7.1f} ms")
        print(f"python, 200-file project     {whole2:7.1f} ms   added {whole2 - plain:+.1f} ms")

        cpp_main = '#include <cstdio>\nint main() { std::puts("hello, world"); }\n'
        cpp_tree = {path: text for path, text in tree.items() if not path.endswith(".py")}
        alone_cpp, whole_cpp = await compare(
            executor, max(5, args.runs // 4), RunRequest("cpp", cpp_main),
            RunRequest("cpp", cpp_main, files=cpp_tree, entry="main.cpp"),
        )
        print(f"c++, one-file run            {alone_cpp:7.1f} ms")
        added = whole_cpp - alone_cpp
        print(f"c++, 100-file tree + main    {whole_cpp:7.1f} ms   added {added:+.1f} ms")

        writes = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(dir=args.work_dir) as folder:
                started = time.perf_counter()
                write_tree(Path(folder), {**tree, "main.py": ENTRY}, None)
                writes.append(time.perf_counter() - started)
        print(f"writing the 200-file tree    {median_ms(writes):7.1f} ms (median, no sandbox)")
        await executor.close()


if __name__ == "__main__":
    asyncio.run(main())
