"""How long a question's tests take: 20 tests in one sandbox start (compiled once).

    .venv/bin/python bench/question_tests.py [--rounds 5] [--tests 20]

Runs a correct solution of "sum the numbers on the line" against ``--tests`` inputs through
the local executor's suite (codepair/runner/suite.py: one harness sandbox, the program once
per test, two at a time; C compiled once first), ``--rounds`` times per language, and prints
the median and worst wall time of the whole suite, and the mean time of one test inside it.
Targets: Python under 1.5 s, C under 3 s including the compile. Also prints what running the
tests one sandbox each would cost (20 runs through ``Executor.run``), for comparison.
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
from codepair.runner.suite import SuiteRequest, run_suite  # noqa: E402

PROGRAMS = {
    "python": "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n",
    "c": '#include <stdio.h>\nint main(void){long s=0,x;while(scanf("%ld",&x)==1)s+=x;'
         'printf("%ld\\n",s);return 0;}\n',
    "javascript": "const d=require('fs').readFileSync(0,'utf8').split(/\\s+/).filter(Boolean);"
                  "console.log(d.reduce((a,b)=>a+Number(b),0));\n",
}
TARGETS = {"python": 1.5, "c": 3.0}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=20)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="codepair-bench-"))
    executor = LocalExecutor(Settings(data_dir=data, runner_toolchains_dir=ROOT / "data"
                                      / "toolchains"))
    await executor.start()
    stdins = tuple(" ".join(str(i + k) for k in range(10)) + "\n" for i in range(args.tests))
    print(f"{args.tests} tests, {args.rounds} rounds, one sandbox start per suite")
    print(f"{'language':<11} {'median':>8} {'worst':>8} {'per test':>9} {'target':>7} "
          f"{'one sandbox per test':>21}")
    for language, code in PROGRAMS.items():
        if not executor.supports(language):
            print(f"{language:<11} not available here")
            continue
        times = []
        per_test = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = await run_suite(executor, SuiteRequest(language, code, stdins),
                                     executor.reserve())
            times.append(time.perf_counter() - started)
            assert result.status == "ok" and all(c.status == "ok" for c in result.cases), result
            per_test.append(statistics.mean(c.wall_ms or 0 for c in result.cases))
        started = time.perf_counter()
        for stdin in stdins:
            one = await executor.run(RunRequest(language=language, code=code, stdin=stdin))
            assert one.status == "ok", one
        separate = time.perf_counter() - started
        target = TARGETS.get(language)
        print(
            f"{language:<11} {statistics.median(times):>7.3f}s {max(times):>7.3f}s "
            f"{statistics.mean(per_test):>7.1f}ms {f'{target:g}s' if target else '-':>7} "
            f"{separate:>20.3f}s"
        )
    await executor.close()


if __name__ == "__main__":
    asyncio.run(main())
