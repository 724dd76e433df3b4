"""The local backend: compile and run in bubblewrap on this machine.

A compiled language takes two sandboxes: the compiler writes into a host build directory
(bound read-write, compile limits), then the program runs with that directory read-only at
``/build`` and a fresh tmpfs as its working directory (run limits). Interpreted languages take
one sandbox, with the source copied into the tmpfs.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal as signals
import tempfile
from dataclasses import replace
from pathlib import Path

import structlog

from codepair.config import Settings
from codepair.runner.cgroups import MemoryGroups
from codepair.runner.executor import (
    Executor,
    LanguageInfo,
    OutputListener,
    RunRequest,
    RunResult,
    RunStatus,
)
from codepair.runner.languages import (
    LanguageSpec,
    discover,
    load_specs,
    missing_tools,
    probe_version,
    reachable_copy,
    world_traversable,
)
from codepair.runner.projects import (
    PROJECT_COMPILE_FLAGS,
    project_argv,
    project_sources,
    read_back,
    write_tree,
)
from codepair.runner.sandbox import Job, Limits, Outcome, Sandbox

log = structlog.get_logger("codepair.runner")

BUILD = "/build"
WORK = "/work"

#: What runtimes print when an allocation fails under the address-space limit.
_OUT_OF_MEMORY = re.compile(
    r"MemoryError|out of memory|OutOfMemoryError|std::bad_alloc|memory allocation of \d+ bytes"
    r"|Cannot allocate memory|Could not reserve enough space|failed to reserve|"
    r"Allocation failed|cannot allocate",
    re.IGNORECASE,
)

UNSANDBOXED_REFUSED = (
    "Code runs are disabled: bubblewrap (bwrap) is not installed on the server, and running "
    "code without a sandbox is not allowed (CODEPAIR_RUNNER_ALLOW_UNSANDBOXED)."
)
UNSANDBOXED_NOTICE = "Ran WITHOUT a sandbox: bubblewrap is not installed on the server."
#: Why this server runs no code, for the room to show in place of its Run button.
RUNS_OFF = (
    "Code runs are off on this server: bubblewrap, the sandbox that runs code, is not "
    "installed. An operator turns them on with: sudo apt-get install -y bubblewrap "
    "(then restart the server)."
)


class LocalExecutor(Executor):
    """Runs programs on this machine, one bubblewrap sandbox per step."""

    backend = "local"

    def __init__(self, settings: Settings, *, bwrap: str | None = "auto") -> None:
        super().__init__(
            concurrency=settings.runner_concurrency,
            waiting=settings.runner_queue_size,
            retry_after=settings.runner_time_limit_seconds,
        )
        self.settings = settings
        if bwrap == "auto":
            bwrap = shutil.which("bwrap")
        timer = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
        # Named after the uid range: two servers on a machine have ranges of their own.
        memory = MemoryGroups(f"codepair-runner-{settings.runner_uid_base}") if bwrap else None
        self.sandbox = Sandbox(bwrap=bwrap, uid_base=settings.runner_uid_base, timer=timer,
                               memory=memory)
        self.specs: dict[str, LanguageSpec] = {}
        self._languages: list[LanguageInfo] = []
        self._unavailable: list[tuple[str, str, str]] = []  # id, name, why
        self._started = False
        self._mirrors: dict[str, str] = {}
        self._mirror_lock = asyncio.Lock()
        self._cleanups: set[asyncio.Task[None]] = set()

    @property
    def refused(self) -> bool:
        """No sandbox, and the operator has not allowed running without one."""
        return not self.sandbox.sandboxed and not self.settings.runner_allow_unsandboxed

    @property
    def notice(self) -> str:
        if self.refused:
            return UNSANDBOXED_REFUSED
        return "" if self.sandbox.sandboxed else UNSANDBOXED_NOTICE

    @property
    def runs_off(self) -> str | None:
        """Why no code can run here at all, or None when some can."""
        return RUNS_OFF if self.refused else None

    def unavailable_languages(self) -> list[tuple[str, str, str]]:
        """Languages of the table this machine cannot run: (id, name, why)."""
        return list(self._unavailable)

    async def start(self) -> None:
        """Read the languages table and find which toolchains this machine has."""
        if self._started:
            return
        self._started = True
        await asyncio.to_thread(self._probe)

    def _probe(self) -> None:
        s = self.settings
        search = [s.data_dir / "toolchains", Path(__file__).resolve().parents[2] / "web"]
        if s.runner_toolchains_dir is not None:
            search.insert(0, s.runner_toolchains_dir)
        specs = discover(load_specs(s.runner_languages_file), search_dirs=search)
        languages = []
        unavailable = []
        for spec in specs.values():
            missing = missing_tools(spec)
            if missing:
                log.info("language_unavailable", language=spec.id, missing=missing)
                why = f"{spec.name} is not installed on this server ({', '.join(missing)} missing)"
                unavailable.append((spec.id, spec.name, why))
                continue
            languages.append(
                LanguageInfo(
                    id=spec.id, name=spec.name, version=probe_version(spec), compiled=spec.compiled
                )
            )
        self.specs = specs
        self._languages = languages
        self._unavailable = unavailable
        log.info("runner_languages", languages=[lang.id for lang in languages],
                 sandboxed=self.sandbox.sandboxed)
        if self.refused:  # said at start, where the operator looks, not only in the room
            log.warning("runs_off", reason=RUNS_OFF)

    def available_languages(self) -> list[LanguageInfo]:
        return [] if self.refused else list(self._languages)

    async def close(self) -> None:
        self.sandbox.kill_all()
        if self._cleanups:
            await asyncio.gather(*self._cleanups, return_exceptions=True)
        if self.sandbox.memory is not None:
            self.sandbox.memory.close()

    # --- one run ------------------------------------------------------------------------

    async def _execute(
        self, request: RunRequest, slot: int, on_output: OutputListener | None
    ) -> RunResult:
        if not self._started:
            await self.start()
        if self.refused:
            return RunResult(status="internal_error", message=UNSANDBOXED_REFUSED, sandboxed=False)
        spec = self.specs.get(request.language)
        if spec is None or not any(lang.id == spec.id for lang in self._languages):
            return RunResult.internal_error(f"Language {request.language!r} is not available")
        dirs: list[str] = []
        try:
            spec = await self._reachable_mounts(spec)
            result = await self._compile_and_run(spec, request, slot, on_output, dirs)
        except Exception as exc:  # a sandbox that fails to start is our fault, not the program's
            log.error("run_failed", language=spec.id, error=repr(exc), exc_info=exc)
            result = RunResult.internal_error("The runner failed to start the program")
        finally:
            if dirs:
                # Removing a project's folder (hundreds of files) is not the run's time: the
                # answer goes out first. The next run makes a folder of its own.
                cleanup = asyncio.create_task(_remove(dirs))
                self._cleanups.add(cleanup)
                cleanup.add_done_callback(self._cleanups.discard)
        if not self.sandbox.sandboxed:
            result.sandboxed = False
            result.message = " ".join(filter(None, [UNSANDBOXED_NOTICE, result.message]))
        return result

    async def _reachable_mounts(self, spec: LanguageSpec) -> LanguageSpec:
        """``spec`` with mounts the sandbox uid can resolve (mirrors made once, on first use)."""
        if not self.sandbox.sandboxed or not spec.mounts:
            return spec
        mounts = {}
        for host, inside in spec.mounts.items():
            if host not in self._mirrors:
                async with self._mirror_lock:
                    copy = await asyncio.to_thread(reachable_copy, Path(host), self._mirror_root())
                    if copy is None:
                        raise RuntimeError(f"{host} cannot be made reachable to the sandbox")
                    self._mirrors[host] = str(copy)
            mounts[self._mirrors[host]] = inside
        return replace(spec, mounts=mounts)

    def _mirror_root(self) -> Path:
        """Where toolchain mirrors go: the toolchains dir if every uid can reach it, else the
        system temp dir (a checkout under a private directory, as CI makes)."""
        preferred = self.settings.runner_toolchains_dir or self.settings.data_dir / "toolchains"
        existing = preferred.resolve()
        while not existing.exists():
            existing = existing.parent
        if world_traversable(existing):
            return preferred
        return Path(tempfile.gettempdir()) / "codepair-toolchains"

    def _new_dir(self, slot: int, dirs: list[str]) -> str:
        path = tempfile.mkdtemp(prefix="codepair-run-", dir=self.settings.runner_work_dir)
        dirs.append(path)
        if os.geteuid() == 0:
            uid = self.sandbox.uid_for(slot)
            os.chown(path, uid, uid)
        return path

    async def _compile_and_run(
        self,
        spec: LanguageSpec,
        request: RunRequest,
        slot: int,
        on_output: OutputListener | None,
        dirs: list[str],
    ) -> RunResult:
        if request.is_project:
            return await self._run_project(spec, request, slot, on_output, dirs)
        s = self.settings
        source = spec.source_name(request.code)
        code = request.code.encode()
        sandboxed = self.sandbox.sandboxed
        compile_output = ""
        build_dir: str | None = None
        if spec.compiled:
            build_dir = self._new_dir(slot, dirs)
            paths = {BUILD: build_dir, **({} if sandboxed else _host_mounts(spec))}
            argv = spec.expand(
                spec.compile, source=source, memory_mb=s.runner_compile_memory_limit_mb, build=BUILD
            )
            job = Job(
                argv=argv,
                cwd=BUILD,
                files={f"{BUILD}/{source}": code},
                rw_mounts={build_dir: BUILD},
                ro_mounts={host: inside for host, inside in spec.mounts.items()},
                env=spec.env,
            )
            if not sandboxed:
                job = _localize(job, paths)
            outcome = await self.sandbox.execute(job, slot=slot, limits=self._compile_limits(spec))
            compile_output = _text(outcome.stdout + outcome.stderr)
            failed = compile_failure(outcome, s.runner_compile_time_limit_seconds)
            if failed is not None:
                return compile_error(outcome, compile_output, failed)
        argv = spec.expand(spec.run, source=source, memory_mb=s.runner_memory_limit_mb, build=BUILD)
        job = Job(
            argv=argv,
            cwd=WORK,
            files={} if spec.compiled else {f"{WORK}/{source}": code},
            ro_mounts={**spec.mounts, **({build_dir: BUILD} if build_dir else {})},
            env=spec.env,
            stdin=request.stdin.encode(),
        )
        if not sandboxed:
            work_dir = self._new_dir(slot, dirs)
            paths = {WORK: work_dir, **_host_mounts(spec)}
            if build_dir:
                paths[BUILD] = build_dir
            job = _localize(job, paths)
        limits = self._run_limits(spec)
        outcome = await self.sandbox.execute(job, slot=slot, limits=limits, on_output=on_output)
        result = classify(outcome, limits, memory_limit_mb=s.runner_memory_limit_mb)
        result.compile_output = compile_output
        return result

    async def _run_project(
        self,
        spec: LanguageSpec,
        request: RunRequest,
        slot: int,
        on_output: OutputListener | None,
        dirs: list[str],
    ) -> RunResult:
        """A run of a whole tree (docs/projects.md): every file is written into one directory,
        bound read-write at ``/build``, where the build and the program (or the command line)
        run. Compiled languages build every source file of the tree that their compiler needs."""
        s = self.settings
        entry = request.entry or spec.source_name(request.code)
        tree = {**request.files, entry: request.code}
        project = self._new_dir(slot, dirs)
        await asyncio.to_thread(write_tree, Path(project), tree, self._owner(slot))
        paths = {BUILD: project, **({} if self.sandbox.sandboxed else _host_mounts(spec))}
        mounts = dict(spec.mounts)

        def job(argv: list[str], stdin: bytes = b"") -> Job:
            made = Job(argv=argv, cwd=BUILD, rw_mounts={project: BUILD}, ro_mounts=mounts,
                       env={**spec.env, **request.env}, stdin=stdin)
            return made if self.sandbox.sandboxed else _localize(made, paths)

        if request.command is not None:
            # A command line may build as well as run: it gets the build's limits.
            limits = self._compile_limits(spec)
            outcome = await self.sandbox.execute(
                job(["bash", "-c", request.command], request.stdin.encode()),
                slot=slot, limits=limits, on_output=on_output,
            )
            result = classify(outcome, limits, memory_limit_mb=s.runner_compile_memory_limit_mb)
            for path in request.collect:
                text = await asyncio.to_thread(read_back, Path(project), path)
                if text is not None:
                    result.collected[path] = text
            return result
        compile_output = ""
        if spec.compiled:
            argv = project_argv(spec, spec.compile, project_sources(spec, entry, tree),
                                entry, s.runner_compile_memory_limit_mb, build=BUILD)
            argv += PROJECT_COMPILE_FLAGS.get(spec.id, ())
            outcome = await self.sandbox.execute(
                job(argv), slot=slot, limits=self._compile_limits(spec)
            )
            compile_output = _text(outcome.stdout + outcome.stderr)
            failed = compile_failure(outcome, s.runner_compile_time_limit_seconds)
            if failed is not None:
                return compile_error(outcome, compile_output, failed)
        argv = project_argv(spec, spec.run, [entry], entry, s.runner_memory_limit_mb, build=BUILD)
        limits = self._run_limits(spec)
        outcome = await self.sandbox.execute(
            job(argv, request.stdin.encode()), slot=slot, limits=limits, on_output=on_output
        )
        result = classify(outcome, limits, memory_limit_mb=s.runner_memory_limit_mb)
        result.compile_output = compile_output
        return result

    def _owner(self, slot: int) -> int | None:
        """Who owns a project's files: the sandbox's uid when we can give them away."""
        return self.sandbox.uid_for(slot) if os.geteuid() == 0 else None

    def _run_limits(self, spec: LanguageSpec) -> Limits:
        s = self.settings
        return Limits(
            cpu_seconds=s.runner_time_limit_seconds,
            wall_seconds=s.runner_time_limit_seconds * 2 + 1,
            address_space_mb=s.runner_memory_limit_mb + spec.memory_headroom_mb,
            output_bytes=s.runner_output_limit_bytes,
            processes=s.runner_max_processes,
            tree_memory_mb=s.runner_tree_memory_mb,
        )

    def _compile_limits(self, spec: LanguageSpec) -> Limits:
        s = self.settings
        return Limits(
            cpu_seconds=s.runner_compile_time_limit_seconds,
            wall_seconds=s.runner_compile_time_limit_seconds * 2,
            address_space_mb=s.runner_compile_memory_limit_mb + spec.memory_headroom_mb,
            output_bytes=s.runner_output_limit_bytes,
            processes=s.runner_max_processes,
            file_size_bytes=128 * 1024 * 1024,
            tree_memory_mb=s.runner_tree_memory_mb,
        )


# --- reading an outcome ---------------------------------------------------------------


async def _remove(dirs: list[str]) -> None:
    for path in dirs:
        await asyncio.to_thread(shutil.rmtree, path, True)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def compile_error(outcome: Outcome, compile_output: str, message: str) -> RunResult:
    """The result of a build that failed (``message`` says how, :func:`compile_failure`)."""
    return RunResult(
        status="compile_error",
        compile_output=compile_output,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        cpu_ms=outcome.cpu_ms,
        wall_ms=outcome.wall_ms,
        memory_kb=outcome.memory_kb,
        truncated=outcome.truncated,
        message=message,
    )


def compile_failure(outcome: Outcome, time_limit: float) -> str | None:
    """Why the compile step failed, in words, or None when it succeeded."""
    if outcome.stopped:
        return "The server stopped during compilation"
    if outcome.wall_timeout or outcome.signal == signals.SIGXCPU:
        return f"Compilation took longer than {time_limit:g} s"
    if outcome.output_exceeded:
        return "The compiler wrote too much output"
    if outcome.memory_capped:
        return "The compiler ran out of memory (the run's memory cap)"
    if outcome.signal is not None:
        return f"The compiler was killed by signal {outcome.signal}"
    if outcome.exit_code:
        return "Compilation failed"
    return None


def classify(outcome: Outcome, limits: Limits, *, memory_limit_mb: int) -> RunResult:
    """Turn how a program ended into one of the result statuses."""
    status: RunStatus
    message = ""
    stderr = _text(outcome.stderr)
    if outcome.stopped:
        status = "internal_error"
        message = "The server stopped during the run"
    elif outcome.wall_timeout or outcome.signal == signals.SIGXCPU:
        status = "time_limit"
        message = (
            f"Time limit exceeded ({limits.cpu_seconds:g} s of CPU, "
            f"{limits.wall_seconds:g} s of wall-clock time)"
        )
    elif outcome.output_exceeded:
        status = "output_limit"
        message = f"Output limit exceeded ({limits.output_bytes} bytes); the program was stopped"
    elif outcome.signal == signals.SIGXFSZ:
        status = "output_limit"
        message = f"File size limit exceeded ({limits.file_size_bytes} bytes)"
    elif outcome.exit_code == 0 and outcome.signal is None:
        status = "ok"
    elif outcome.memory_capped:
        status = "memory_limit"
        message = (f"Memory limit exceeded ({limits.tree_memory_mb} MiB for all the "
                   "program's processes together)")
    elif _out_of_memory(outcome, stderr, memory_limit_mb):
        status = "memory_limit"
        message = f"Memory limit exceeded ({memory_limit_mb} MiB)"
    else:
        status = "runtime_error"
        if outcome.signal is not None:
            message = f"Killed by signal {outcome.signal} ({_signal_name(outcome.signal)})"
    return RunResult(
        status=status,
        stdout=_text(outcome.stdout),
        stderr=stderr,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        cpu_ms=outcome.cpu_ms,
        wall_ms=outcome.wall_ms,
        memory_kb=outcome.memory_kb,
        truncated=outcome.truncated,
        message=message,
    )


def _out_of_memory(outcome: Outcome, stderr: str, memory_limit_mb: int) -> bool:
    # Under RLIMIT_AS an allocation fails instead of the kernel's OOM killer stepping in, so
    # the program dies its own way: an exception, an abort, or a NULL dereference.
    if _OUT_OF_MEMORY.search(stderr[-4096:]):
        return True
    near_limit = (outcome.memory_kb or 0) >= memory_limit_mb * 1024 * 0.8
    return near_limit and outcome.signal in (signals.SIGSEGV, signals.SIGABRT, signals.SIGKILL)


def _signal_name(number: int) -> str:
    try:
        return signals.Signals(number).name
    except ValueError:
        return "unknown"


# --- running without a sandbox (only when the operator allows it) ----------------------


def _host_mounts(spec: LanguageSpec) -> dict[str, str]:
    return {inside: host for host, inside in spec.mounts.items()}


def _localize(job: Job, paths: dict[str, str]) -> Job:
    """Rewrite sandbox paths to host paths, for a run without bubblewrap."""

    def fix(value: str) -> str:
        for inside, host in sorted(paths.items(), key=lambda item: -len(item[0])):
            if value == inside or value.startswith(inside + "/"):
                return host + value[len(inside):]
            value = value.replace(f"={inside}/", f"={host}/")
        return value

    return replace(
        job,
        argv=[fix(arg) for arg in job.argv],
        cwd=fix(job.cwd),
        files={fix(path): content for path, content in job.files.items()},
        env={key: fix(value) for key, value in job.env.items()},
        ro_mounts={},
        rw_mounts={},
    )
