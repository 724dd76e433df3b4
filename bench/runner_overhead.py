"""What the sandbox costs: a hello-world run through the local executor vs. run directly.

    .venv/bin/python bench/runner_overhead.py [--runs 40] [--burst 60]

Prints the median wall time of a hello world in Python and in C (compile + run), directly
(``subprocess`` in a temp dir, as root, no limits) and through ``LocalExecutor`` (prlimit,
setpriv, bubblewrap, GNU time; two sandboxes for C), the difference, and how many Python
hello-worlds per second the executor completes with its queue full. Target: under 15 ms added.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codepair.config import Settings  # noqa: E402
from codepair.runner.executor import RunRequest  # noqa: E402
from codepair.runner.local import LocalExecutor  # noqa: E402
from codepair.runner.sandbox import Job  # noqa: E402

PY = "print('hello, world')\n"
C = '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n'


def direct_python(workdir: Path) -> float:
    source = workdir / "main.py"
    source.write_text(PY)
    started = time.perf_counter()
    subprocess.run(["/usr/bin/python3", str(source)], cwd=workdir, check=True, capture_output=True)
    return time.perf_counter() - started


def direct_c(workdir: Path) -> float:
    source = workdir / "main.c"
    source.write_text(C)
    started = time.perf_counter()
    subprocess.run(
        ["gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    subprocess.run([str(workdir / "main")], cwd=workdir, check=True, capture_output=True)
    return time.perf_counter() - started


async def sandboxed(executor: LocalExecutor, language: str, code: str) -> float:
    started = time.perf_counter()
    result = await executor.run(RunRequest(language, code))
    elapsed = time.perf_counter() - started
    assert result.status == "ok" and result.stdout == "hello, world\n", result
    return elapsed


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--burst", type=int, default=60)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            runner_toolchains_dir=ROOT / "data" / "toolchains",
            runner_concurrency=cores,
            runner_queue_size=args.burst,
        )
        executor = LocalExecutor(settings)
        await executor.start()
        if not executor.sandbox.sandboxed:
            sys.exit("bubblewrap is not installed: nothing to measure")
        workdir = Path(tmp) / "direct"
        workdir.mkdir()
        # Warm up page caches and the compiler once each way.
        direct_python(workdir), direct_c(workdir)
        await sandboxed(executor, "python", PY)
        await sandboxed(executor, "c", C)

        rows = []
        for language, code, direct in (("python", PY, direct_python), ("c", C, direct_c)):
            # Alternate the two, so both see the same load from whatever else runs here.
            plain, boxed = [], []
            for _ in range(args.runs):
                plain.append(direct(workdir))
                boxed.append(await sandboxed(executor, language, code))
            added = [b - p for p, b in zip(plain, boxed, strict=True)]
            rows.append((language, ms(plain), ms(boxed), ms(added)))

        # The sandbox alone: /bin/true through the whole chain vs. started directly.
        limits = executor._run_limits(executor.specs["shell"])
        plain, boxed = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(["/bin/true"], check=True)
            t1 = time.perf_counter()
            await executor.sandbox.execute(Job(argv=["/bin/true"]), slot=0, limits=limits)
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            boxed.append(t2 - t1)
        rows.append(("/bin/true", ms(plain), ms(boxed),
                     ms([b - p for p, b in zip(plain, boxed, strict=True)])))

        started = time.perf_counter()
        await asyncio.gather(*(sandboxed(executor, "python", PY) for _ in range(args.burst)))
        elapsed = time.perf_counter() - started
        await executor.close()

    print(f"runner overhead, median of {args.runs} hello-world runs ({cores} cores)")
    print(f"{'language':<10}{'direct ms':>12}{'sandboxed ms':>15}{'added ms':>12}")
    for language, plain, boxed, added in rows:
        print(f"{language:<10}{plain:>12.1f}{boxed:>15.1f}{added:>12.1f}")
    print("(added: the median of the per-pair differences, direct and sandboxed alternating)")
    print("(C: compile + run; the sandboxed run uses two sandboxes, one per step)")
    print("(/bin/true: one bare sandbox, the fixed cost of every step)")
    print(
        f"full queue: {args.burst} Python hello-worlds in {elapsed:.2f} s = "
        f"{args.burst / elapsed:.1f} runs/s with concurrency {cores}"
    )


if __name__ == "__main__":
    asyncio.run(main())
