"""One sandboxed process: bubblewrap, rlimits, an unprivileged uid, a wall clock, an output cap.

The command line is ``prlimit <limits> -- setpriv --reuid=U ... -- bwrap <namespaces> -- cmd``:

- ``prlimit`` sets CPU, address space, file size, open files and process limits; they are
  inherited by everything below and cannot be raised again without privilege.
- ``setpriv`` drops to uid U *before* bubblewrap starts. Only then does ``RLIMIT_NPROC`` bind:
  the kernel charges processes to the real uid, and a root parent is exempt (bubblewrap's own
  ``--uid`` only maps ids inside the user namespace). Each worker slot has its own uid, so a
  fork bomb in one run cannot starve another run of processes.
- ``bwrap`` unshares every namespace (no network but ``lo``, own pids), binds ``/usr``
  read-only, gives a tmpfs work dir, a clean environment and a new session, and dies with its
  parent: if the server is killed, the kernel kills the sandbox's pid 1 and with it every
  process inside.

The wall clock is ours: past it, the outer process gets SIGKILL, and ``--die-with-parent``
takes the whole tree down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from codepair.runner.cgroups import MemoryGroups
from codepair.runner.executor import OutputListener
from codepair.runner.languages import SANDBOX_PATH
from codepair.runner.processes import PipeReader, RunningSandbox, memfd, open_path

#: Host files under /etc that compilers and runtimes read (the JVM's config, the loader cache).
ETC_FILES = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/java-17-openjdk",
    "/etc/java-21-openjdk",
    "/etc/ssl/certs",
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one sandboxed process (and everything it starts)."""

    cpu_seconds: float
    wall_seconds: float
    address_space_mb: int
    output_bytes: int
    file_size_bytes: int = 16 * 1024 * 1024
    open_files: int = 256
    processes: int = 64
    tmpfs_bytes: int = 64 * 1024 * 1024
    tree_memory_mb: int | None = None  # every process together (a memory cgroup, if any)


@dataclass(slots=True)
class Outcome:
    """How the process ended and what it wrote."""

    exit_code: int | None = None
    signal: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    cpu_ms: int | None = None
    wall_ms: int = 0
    memory_kb: int | None = None
    truncated: bool = False
    wall_timeout: bool = False
    output_exceeded: bool = False
    stopped: bool = False  # killed because the server is stopping
    memory_capped: bool = False  # the kernel stopped a process for the tree's memory cap


@dataclass(slots=True)
class Job:
    """What to run: ``argv`` in ``cwd``, with files and mounts."""

    argv: list[str]
    cwd: str = "/work"
    files: Mapping[str, bytes] = field(default_factory=dict)  # sandbox path -> content
    ro_mounts: Mapping[str, str] = field(default_factory=dict)  # host dir -> sandbox path
    rw_mounts: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: bytes = b""


class Sandbox:
    """Starts jobs in bubblewrap (or, when ``bwrap`` is None, directly: see ``unsandboxed``)."""

    def __init__(
        self,
        *,
        bwrap: str | None,
        uid_base: int,
        timer: str | None = None,
        memory: MemoryGroups | None = None,
    ) -> None:
        self.bwrap = bwrap
        self.uid_base = uid_base
        self.memory = memory  # a memory group a slot, for limits.tree_memory_mb
        # GNU time waits for the program inside the sandbox and reports its CPU time and peak
        # memory: bubblewrap's pid 1 reaps the program, so our own wait4 cannot see them.
        self.timer = timer
        self._running: dict[int, RunningSandbox] = {}
        self.stopping = False

    @property
    def sandboxed(self) -> bool:
        return self.bwrap is not None

    def uid_for(self, slot: int) -> int:
        return self.uid_base + slot

    async def execute(
        self, job: Job, *, slot: int, limits: Limits, on_output: OutputListener | None = None
    ) -> Outcome:
        """Run ``job`` to its end (or its limits) and report how it went."""
        fds: list[int] = []
        try:
            stdin_fd = memfd("stdin", job.stdin)
            fds.append(stdin_fd)
            file_fds: dict[str, int] = {}
            files = dict(job.files)
            if self.sandboxed:
                files.update(_identity_files(self.uid_for(slot), job.cwd))
            for path, content in files.items():
                if self.sandboxed:
                    file_fds[path] = memfd("file", content)
                    fds.append(file_fds[path])
                else:
                    self._write_host_file(path, content, slot)
            mount_fds: dict[str, tuple[int, str, bool]] = {}
            for host, inside in job.ro_mounts.items():
                mount_fds[host] = (open_path(host, fds), inside, False)
            for host, inside in job.rw_mounts.items():
                mount_fds[host] = (open_path(host, fds), inside, True)
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            stats_r, stats_w = os.pipe()
            info_r, info_w = os.pipe()
            fds += [out_r, out_w, err_r, err_w, stats_r, stats_w, info_r, info_w]
            # The sandbox's uid reopens this pipe by name (/dev/fd/N) to write the stats.
            os.fchmod(stats_w, 0o622)
            argv = self._command(job, file_fds, mount_fds, stats_w, info_w, slot, limits)
            group = None
            if self.memory is not None and limits.tree_memory_mb is not None:
                group = self.memory.create(f"run-{slot}", limits.tree_memory_mb * 1024 * 1024)
            kills = 0
            if group is not None:
                kills = group.oom_kills()
                argv = group.command(argv)
            inherited = [
                *file_fds.values(),
                *(fd for fd, _, _ in mount_fds.values()),
                stats_w,
                info_w,
            ]
            started = time.monotonic()
            proc = await asyncio.to_thread(
                subprocess.Popen,
                argv,
                stdin=stdin_fd,
                stdout=out_w,
                stderr=err_w,
                pass_fds=inherited,
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
                cwd=job.cwd if not self.sandboxed else "/",
            )
            for fd in (out_w, err_w, stdin_fd, *inherited):
                os.close(fd)
                fds.remove(fd)
            target = RunningSandbox(proc.pid, PipeReader("info", info_r, 4096, None, lambda: None))
            self._running[proc.pid] = target
            if self.stopping:
                target.kill()
            try:
                outcome = await self._supervise(
                    proc, target, out_r, err_r, stats_r, limits, started, on_output
                )
                if group is not None and group.oom_kills() > kills:
                    outcome.memory_capped = True
                return outcome
            finally:
                target.cancel_fallback()
                del self._running[proc.pid]
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _write_host_file(self, path: str, content: bytes, slot: int) -> None:
        with open(path, "wb") as fh:
            fh.write(content)
        if os.geteuid() == 0:
            os.chown(path, self.uid_for(slot), self.uid_for(slot))

    def kill_all(self) -> None:
        """SIGKILL every sandbox still running (server shutdown); start no more."""
        self.stopping = True
        for target in list(self._running.values()):
            target.kill()

    # --- the command line -----------------------------------------------------------

    def _command(
        self,
        job: Job,
        file_fds: Mapping[str, int],
        mount_fds: Mapping[str, tuple[int, str, bool]],
        stats_fd: int,
        info_fd: int,
        slot: int,
        limits: Limits,
    ) -> list[str]:
        cpu = max(1, int(limits.cpu_seconds + 0.999))
        address_space = limits.address_space_mb * 1024 * 1024
        argv = [
            "prlimit",
            # Soft limit sends SIGXCPU (we report time_limit); the hard one kills a program
            # that ignores it one second later.
            f"--cpu={cpu}:{cpu + 1}",
            f"--as={address_space}:{address_space}",
            f"--fsize={limits.file_size_bytes}:{limits.file_size_bytes}",
            f"--nofile={limits.open_files}:{limits.open_files}",
            f"--nproc={limits.processes}:{limits.processes}",
            "--core=0:0",
            "--",
        ]
        if os.geteuid() == 0:
            uid = self.uid_for(slot)
            argv += [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--",
            ]
        program = list(job.argv)
        if self.timer is not None:
            program = [self.timer, "-f", "%U %S %M", "-o", f"/dev/fd/{stats_fd}", "--", *program]
        if self.bwrap is None:
            return [*argv, "env", "-i", *_env_pairs(job.env, job.cwd), *program]
        argv += [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--hostname",
            "sandbox",
            # bubblewrap tells the host pid of the sandbox's pid 1 here: we kill that one
            # first, so bubblewrap reaps it instead of leaving it to the host's init.
            "--info-fd",
            str(info_fd),
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/sbin",
            "/sbin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(limits.tmpfs_bytes),
            "--tmpfs",
            "/tmp",
        ]
        for path in ETC_FILES:
            argv += ["--ro-bind-try", path, path]
        # Mounts go by file descriptor, opened here as root: bubblewrap runs as the sandbox
        # uid, which may not traverse the host path (rustup's toolchain under /root).
        for fd, inside, writable in mount_fds.values():
            if writable:
                argv += ["--bind-fd", str(fd), inside]
        if job.cwd not in job.rw_mounts.values():
            argv += ["--size", str(limits.tmpfs_bytes), "--tmpfs", job.cwd]
        for fd, inside, writable in mount_fds.values():
            if not writable:
                argv += ["--ro-bind-fd", str(fd), inside]
        for path, fd in file_fds.items():
            argv += ["--file", str(fd), path]
        for key, value in _env(job.env, job.cwd).items():
            argv += ["--setenv", key, value]
        # The root itself (a tmpfs bubblewrap made) is read-only too: only the work dir and
        # /tmp take writes, and both have a size cap.
        if self.timer is not None:
            # GNU time is pid 1: it reaps orphans as it waits, and spares bubblewrap's own init
            # process, which exits before bubblewrap reaps it (a zombie counted against the
            # slot's process limit until the host's init gets to it).
            argv.append("--as-pid-1")
        argv += ["--remount-ro", "/", "--chdir", job.cwd, "--", *program]
        return argv

    # --- watching it run ---------------------------------------------------------

    async def _supervise(
        self,
        proc: subprocess.Popen[bytes],
        target: RunningSandbox,
        out_r: int,
        err_r: int,
        stats_r: int,
        limits: Limits,
        started: float,
        on_output: OutputListener | None,
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        outcome = Outcome()
        exited: asyncio.Future[None] = loop.create_future()
        pidfd = os.pidfd_open(proc.pid)

        def on_exit() -> None:
            if not exited.done():
                exited.set_result(None)

        loop.add_reader(pidfd, on_exit)

        def over_cap() -> None:
            if not outcome.output_exceeded:
                outcome.output_exceeded = outcome.truncated = True
                target.kill()

        streams = [
            PipeReader("stdout", out_r, limits.output_bytes, on_output, over_cap),
            PipeReader("stderr", err_r, limits.output_bytes, on_output, over_cap),
            PipeReader("stats", stats_r, 4096, None, lambda: None),
            target.info,
        ]
        for stream in streams:
            loop.add_reader(stream.fd, stream.readable)
        try:
            try:
                await asyncio.wait_for(asyncio.shield(exited), timeout=limits.wall_seconds)
            except TimeoutError:
                outcome.wall_timeout = True
                target.kill()
                await exited
            except asyncio.CancelledError:
                # Whoever waited is gone; the sandbox must not outlive them.
                target.kill(fallback_after=None)
                _, status, _ = os.wait4(proc.pid, 0)  # noqa: ASYNC222  (dies within ms)
                proc.returncode = os.waitstatus_to_exitcode(status)
                raise
            # The pidfd said it exited, so this reaps at once without blocking the loop.
            _, status, usage = os.wait4(proc.pid, 0)  # noqa: ASYNC222
            proc.returncode = os.waitstatus_to_exitcode(status)
            outcome.wall_ms = int((time.monotonic() - started) * 1000)
            # Everything inside has died with the sandbox's pid 1, so the pipes reach EOF;
            # the bound only guards against a descendant that escaped the pid namespace.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(s.eof for s in streams)), timeout=1.0)
        finally:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            for stream in streams:
                loop.remove_reader(stream.fd)
                stream.flush()
        if os.WIFSIGNALED(status):
            outcome.signal = os.WTERMSIG(status)
        else:
            code = os.WEXITSTATUS(status)
            # bubblewrap (like a shell) reports a child killed by signal N as 128 + N.
            if self.sandboxed and 128 < code < 128 + 65:
                outcome.signal = code - 128
            else:
                outcome.exit_code = code
        outcome.stopped = self.stopping
        stats = _parse_stats(bytes(streams[2].data))
        if stats is not None:
            outcome.cpu_ms, outcome.memory_kb = stats
        elif self.timer is None:
            # Without GNU time only the unsandboxed direct child is measured.
            outcome.cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000)
        outcome.stdout = bytes(streams[0].data)
        outcome.stderr = bytes(streams[1].data)
        return outcome


def _env(extra: Mapping[str, str], cwd: str) -> dict[str, str]:
    return {
        "PATH": SANDBOX_PATH,
        "HOME": cwd,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        **extra,
    }


def _env_pairs(extra: Mapping[str, str], cwd: str) -> list[str]:
    return [f"{key}={value}" for key, value in _env(extra, cwd).items()]


def _identity_files(uid: int, home: str) -> dict[str, bytes]:
    """A passwd and group naming the sandbox's uid: ``whoami``, ``getpass`` and the JVM ask."""
    return {
        "/etc/passwd": f"runner:x:{uid}:{uid}:runner:{home}:/bin/sh\n".encode(),
        "/etc/group": f"runner:x:{uid}:\n".encode(),
    }


def _parse_stats(data: bytes) -> tuple[int, int] | None:
    """CPU ms and peak KiB from GNU time's last line (``user system maxrss``)."""
    lines = data.decode("ascii", errors="replace").strip().splitlines()
    try:
        user, system, maxrss = lines[-1].split()
        return int((float(user) + float(system)) * 1000), int(maxrss)
    except (IndexError, ValueError):
        return None
