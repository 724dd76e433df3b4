"""Running one program against many inputs (a question's tests) in ONE sandbox start.

The local backend compiles once (compiled languages), then starts one sandbox whose program
is a small Python harness (:data:`HARNESS`): it reads every test's input from its own stdin,
makes itself undumpable (the program, under the same uid, cannot read the harness's memory or
file descriptors through /proc), and runs the program once per input with its own pipes, CPU
limit, wall clock and output cap, timing each, writing one JSON line per test. Expected
outputs never enter the sandbox: comparing is the server's job
(:mod:`codepair.domain.questions.runs`).

Other backends (Piston, Judge0) run the program once per input through their own API.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal as signals
from dataclasses import dataclass, field
from typing import Any

import structlog

from codepair.runner.executor import Executor, RunRequest, Ticket
from codepair.runner.sandbox import Job, Limits

log = structlog.get_logger("codepair.runner")

#: What a test's stderr keeps (its tail): enough to see an exception.
STDERR_KEEP = 8 * 1024
#: The whole suite's wall clock never exceeds this many seconds.
SUITE_WALL_CAP = 60.0
#: Tests run at once inside the sandbox (each with its own limits): two halve the time on two
#: cores, and on a busy machine two processes get twice the share of the CPU.
PARALLEL = 2

HARNESS = r'''
import ctypes, json, os, resource, selectors, signal, sys, time
try:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: /proc/<us> closed to the program
except Exception:
    pass
spec = json.loads(sys.stdin.buffer.read())
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
argv, cap, cpu, wall = spec["argv"], spec["output_bytes"], spec["cpu_seconds"], spec["wall_seconds"]
keep, parallel, barrier = spec["stderr_keep"], spec["parallel"], spec["barrier"]
stdins = spec["stdins"]
out = sys.stdout
sel = selectors.DefaultSelector()
running = {}  # index -> state

def launch(index):
    fd = os.memfd_create("stdin")
    os.write(fd, stdins[index].encode())
    os.lseek(fd, 0, 0)
    o_r, o_w = os.pipe()
    e_r, e_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.dup2(fd, 0); os.dup2(o_w, 1); os.dup2(e_w, 2)
            os.closerange(3, 65536)
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    for f in (fd, o_w, e_w):
        os.close(f)
    state = {"pid": pid, "out": bytearray(), "err": bytearray(), "open": {o_r, e_r},
             "o_r": o_r, "started": started, "timed_out": False, "over": False}
    running[index] = state
    for f in (o_r, e_r):
        sel.register(f, selectors.EVENT_READ, index)

def finish(index):
    state = running.pop(index)
    for f in list(state["open"]):
        sel.unregister(f)
        os.close(f)
    if state["timed_out"] or state["over"]:
        try:
            os.killpg(state["pid"], signal.SIGKILL)
        except OSError:
            pass
    while True:  # its pipes are closed; it may still be running: no longer than its clock
        pid, status, usage = os.wait4(state["pid"], os.WNOHANG)
        if pid:
            break
        if time.monotonic() - state["started"] >= wall:
            state["timed_out"] = True
            os.killpg(state["pid"], signal.SIGKILL)
            _, status, usage = os.wait4(state["pid"], 0)
            break
        time.sleep(0.002)
    try:
        os.killpg(state["pid"], signal.SIGKILL)  # whatever it left running
    except OSError:
        pass
    out.write(json.dumps({
        "index": index,
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": bytes(state["out"][:cap]).decode("utf-8", "replace"),
        "stderr": bytes(state["err"][-keep:]).decode("utf-8", "replace"),
        "wall_ms": int((time.monotonic() - state["started"]) * 1000),
        "cpu_ms": int((usage.ru_utime + usage.ru_stime) * 1000),
        "memory_kb": usage.ru_maxrss,
        "timed_out": state["timed_out"],
        "output_exceeded": state["over"],
    }) + "\n")
    out.flush()

pending = list(range(len(stdins)))
while pending or running:
    # Tests before the barrier (visible) all end before any after it (hidden) starts.
    while pending and len(running) < parallel and (
        pending[0] < barrier or not any(i < barrier for i in running)
    ):
        launch(pending.pop(0))
    now = time.monotonic()
    for index, state in list(running.items()):
        if now - state["started"] >= wall:
            state["timed_out"] = True
            finish(index)
    if not running:
        continue
    left = min(wall - (now - st["started"]) for st in running.values())
    for key, _ in sel.select(max(0.0, left)):
        index = key.data
        state = running.get(index)
        if state is None or key.fd not in state["open"]:
            continue
        chunk = os.read(key.fd, 65536)
        if not chunk:
            sel.unregister(key.fd)
            os.close(key.fd)
            state["open"].discard(key.fd)
        else:
            state["out" if key.fd == state["o_r"] else "err"].extend(chunk)
            if len(state["out"]) > cap or len(state["err"]) > cap:
                state["over"] = True
        if state["over"] or not state["open"]:
            finish(index)
'''


@dataclass(frozen=True, slots=True)
class SuiteRequest:
    """One program and the inputs to run it on, in order."""

    language: str
    code: str
    stdins: tuple[str, ...]
    # Inputs from this index on start only once every input before it has ended (hidden
    # tests after visible ones: see codepair/domain/questions/runs.py); None: no barrier.
    barrier: int | None = None


@dataclass(slots=True)
class CaseOutcome:
    """How the program did on one input."""

    status: str  # ok, runtime_error, time_limit, memory_limit, output_limit, not_run
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: int | None = None
    wall_ms: int | None = None
    cpu_ms: int | None = None
    memory_kb: int | None = None


@dataclass(slots=True)
class SuiteResult:
    """The suite as a whole: ``status`` is ``ok`` once the program could run at all."""

    status: str  # ok, compile_error, internal_error
    cases: list[CaseOutcome] = field(default_factory=list)
    compile_output: str = ""
    wall_ms: int | None = None
    message: str = ""


async def run_suite(executor: Executor, request: SuiteRequest, ticket: Ticket) -> SuiteResult:
    """Run ``request`` with the place ``ticket`` holds in the executor's queue."""
    from codepair.runner.local import LocalExecutor

    async with ticket as slot:
        if isinstance(executor, LocalExecutor):
            return await _local_suite(executor, request, slot)
        return await _one_by_one(executor, request, slot)


async def _one_by_one(executor: Executor, request: SuiteRequest, slot: int) -> SuiteResult:
    """Backends without a harness: one run per input, through the backend's own API."""
    cases = []
    wall = 0
    for stdin in request.stdins:
        run = RunRequest(language=request.language, code=request.code, stdin=stdin)
        result = await executor._execute(run, slot, None)
        if result.status in ("compile_error", "internal_error"):
            return SuiteResult(
                status=result.status, compile_output=result.compile_output,
                message=result.message,
            )
        wall += result.wall_ms or 0
        cases.append(
            CaseOutcome(
                status=result.status, stdout=result.stdout, stderr=result.stderr[-STDERR_KEEP:],
                exit_code=result.exit_code, signal=result.signal, wall_ms=result.wall_ms,
                cpu_ms=result.cpu_ms, memory_kb=result.memory_kb,
            )
        )
    return SuiteResult(status="ok", cases=cases, wall_ms=wall)


async def _local_suite(executor: Any, request: SuiteRequest, slot: int) -> SuiteResult:
    from codepair.runner import local

    if not executor._started:
        await executor.start()
    if executor.refused:
        return SuiteResult(status="internal_error", message=local.UNSANDBOXED_REFUSED)
    spec = executor.specs.get(request.language)
    if spec is None or not executor.supports(request.language):
        return SuiteResult(status="internal_error",
                           message=f"Language {request.language!r} is not available")
    dirs: list[str] = []
    try:
        spec = await executor._reachable_mounts(spec)
        return await _compile_and_harness(executor, spec, request, slot, dirs)
    except Exception as exc:
        log.error("suite_failed", language=request.language, error=repr(exc), exc_info=exc)
        return SuiteResult(status="internal_error",
                           message="The runner failed to start the program")
    finally:
        for path in dirs:
            await asyncio.to_thread(shutil.rmtree, path, True)


async def _compile_and_harness(
    executor: Any, spec: Any, request: SuiteRequest, slot: int, dirs: list[str]
) -> SuiteResult:
    from codepair.runner import local

    s = executor.settings
    sandbox = executor.sandbox
    source = spec.source_name(request.code)
    code = request.code.encode()
    compile_output = ""
    build_dir: str | None = None
    total_wall = 0
    if spec.compiled:
        build_dir = executor._new_dir(slot, dirs)
        argv = spec.expand(spec.compile, source=source,
                           memory_mb=s.runner_compile_memory_limit_mb, build=local.BUILD)
        job = Job(
            argv=argv, cwd=local.BUILD, files={f"{local.BUILD}/{source}": code},
            rw_mounts={build_dir: local.BUILD}, ro_mounts=dict(spec.mounts), env=spec.env,
        )
        if not sandbox.sandboxed:
            job = local._localize(job, {local.BUILD: build_dir, **local._host_mounts(spec)})
        outcome = await sandbox.execute(job, slot=slot, limits=executor._compile_limits(spec))
        compile_output = local._text(outcome.stdout + outcome.stderr)
        total_wall += outcome.wall_ms
        failed = local.compile_failure(outcome, s.runner_compile_time_limit_seconds)
        if failed is not None:
            return SuiteResult(status="compile_error", compile_output=compile_output,
                               message=failed, wall_ms=total_wall)
    run_limits: Limits = executor._run_limits(spec)
    per_case_wall = float(s.runner_time_limit_seconds) + 1.0
    n = len(request.stdins)
    argv = spec.expand(spec.run, source=source, memory_mb=s.runner_memory_limit_mb,
                       build=local.BUILD)
    harness_input = json.dumps({
        "argv": argv,
        "stdins": list(request.stdins),
        "output_bytes": s.runner_output_limit_bytes,
        "cpu_seconds": max(1, int(s.runner_time_limit_seconds + 0.999)),
        "wall_seconds": per_case_wall,
        "stderr_keep": STDERR_KEEP,
        "parallel": PARALLEL,
        "barrier": request.barrier if request.barrier is not None else n,
    }).encode()
    harness_path = f"{local.WORK}/.codepair-tests.py"
    files = {harness_path: HARNESS.encode()}
    if not spec.compiled:
        files[f"{local.WORK}/{source}"] = code
    job = Job(
        argv=["python3", "-I", "-S", harness_path],
        cwd=local.WORK,
        files=files,
        ro_mounts={**spec.mounts, **({build_dir: local.BUILD} if build_dir else {})},
        env=spec.env,
        stdin=harness_input,
    )
    if not sandbox.sandboxed:
        paths = {local.WORK: executor._new_dir(slot, dirs), **local._host_mounts(spec)}
        if build_dir:
            paths[local.BUILD] = build_dir
        job = local._localize(job, paths)
    limits = Limits(
        cpu_seconds=run_limits.cpu_seconds + 1,
        wall_seconds=min(SUITE_WALL_CAP, n * per_case_wall + 2),
        address_space_mb=run_limits.address_space_mb,
        output_bytes=n * (2 * s.runner_output_limit_bytes + 4 * STDERR_KEEP) + 65536,
        processes=run_limits.processes,
    )
    outcome = await sandbox.execute(job, slot=slot, limits=limits)
    total_wall += outcome.wall_ms
    cases: list[CaseOutcome | None] = [None] * n
    for line in outcome.stdout.decode("utf-8", "replace").splitlines():
        try:
            raw = json.loads(line)
            index = int(raw["index"])
        except (ValueError, KeyError, TypeError):
            continue
        if 0 <= index < n:
            cases[index] = _case(raw, s.runner_memory_limit_mb)
    if outcome.stopped:
        return SuiteResult(status="internal_error", message="The server stopped during the run")
    if all(c is None for c in cases) and n and outcome.exit_code not in (0, None):
        log.warning("suite_harness_failed", stderr=local._text(outcome.stderr)[-500:])
    missing = "The tests ran out of time" if outcome.wall_timeout else "The test did not run"
    return SuiteResult(
        status="ok",
        cases=[c if c is not None else CaseOutcome(status="not_run", stderr=missing)
               for c in cases],
        compile_output=compile_output,
        wall_ms=total_wall,
    )


def _case(raw: dict[str, Any], memory_limit_mb: int) -> CaseOutcome:
    from codepair.runner import local

    signal = raw.get("signal")
    stderr = str(raw.get("stderr", ""))
    if raw.get("timed_out") or signal == signals.SIGXCPU:
        status = "time_limit"
    elif raw.get("output_exceeded"):
        status = "output_limit"
    elif raw.get("exit_code") == 0 and signal is None:
        status = "ok"
    elif local._OUT_OF_MEMORY.search(stderr[-4096:]):
        status = "memory_limit"
    else:
        status = "runtime_error"
    return CaseOutcome(
        status=status,
        stdout=str(raw.get("stdout", "")),
        stderr=stderr,
        exit_code=raw.get("exit_code"),
        signal=signal,
        wall_ms=raw.get("wall_ms"),
        cpu_ms=raw.get("cpu_ms"),
        memory_kb=raw.get("memory_kb"),
    )
