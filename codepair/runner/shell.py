"""A long-lived interactive shell in bubblewrap, on a pseudo-terminal (the room's terminal).

The same isolation as a run (:mod:`codepair.runner.sandbox`, docs/runner.md), held for as long
as the room keeps its shell:

``prlimit <limits> -- nice -n 10 -- setpriv --reuid=U ... -- bwrap <namespaces> -- setsid -c bash``

- rlimits bind every process of the shell: CPU seconds per process, address space per
  process, file size, open files, and processes (``RLIMIT_NPROC`` binds because ``setpriv``
  drops to the shell's own uid before bubblewrap starts; each live shell has a uid of its own,
  so a fork bomb in one room cannot take another room's processes).
- ``nice 10``: a busy shell yields the CPU to the server and to other rooms' keystrokes.
- ``bwrap`` unshares every namespace (no network but an empty ``lo``), binds ``/usr``
  read-only, and gives ``/workspace``, ``/tmp`` and ``/home/runner`` as tmpfs mounts with a size
  cap each: filling the disk fills the shell's own tmpfs (ENOSPC), never the host's disk.
- ``setsid -c`` makes the terminal the shell's controlling terminal, so job control and
  Ctrl-C work as in any terminal.

The server reaches ``/workspace`` through ``/proc/<pid 1 of the sandbox>/root/workspace``
(root may enter another process's root); :mod:`codepair.runner.workspace` walks it without
ever following a link. No host directory is shared, so nothing is left on disk when the
shell goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import struct
import subprocess
import termios
from dataclasses import dataclass

from codepair.runner.cgroups import MemoryGroup, MemoryGroups
from codepair.runner.languages import SANDBOX_PATH
from codepair.runner.processes import kill_pid, kill_tree, memfd
from codepair.runner.sandbox import ETC_FILES

WORKSPACE = "/workspace"
HOME = "/home/runner"

#: bash's start-up file in the shell: a short prompt with the folder, nothing else.
BASHRC = rb"""
PS1='\[\e[32m\]\w\[\e[0m\] \$ '
HISTFILE=/home/runner/.bash_history
alias ls='ls --color=auto'
"""


@dataclass(frozen=True, slots=True)
class ShellLimits:
    """Resource limits of one room's shell (each process in it, and the tmpfs mounts)."""

    cpu_seconds: int = 600
    address_space_mb: int = 1536
    file_size_bytes: int = 16 * 1024 * 1024
    open_files: int = 256
    processes: int = 64
    shell_memory_mb: int = 2048  # every process of the shell together (a memory cgroup)
    workspace_bytes: int = 128 * 1024 * 1024
    tmp_bytes: int = 64 * 1024 * 1024
    home_bytes: int = 16 * 1024 * 1024


@dataclass(slots=True)
class Shell:
    """A running shell: the host pid of the outer process, the terminal's master side, and
    the host pid of the sandbox's pid 1 (through whose root the workspace is reached)."""

    proc: subprocess.Popen[bytes]
    master_fd: int
    inner_pid: int | None
    sandboxed: bool
    uid: int
    block_fd: int | None = None  # bubblewrap waits on it before it starts bash
    memory: MemoryGroup | None = None  # the cap on the whole shell, where cgroups work

    def release(self) -> None:
        """Let bash start (the caller has put the tree into ``/workspace`` meanwhile)."""
        if self.block_fd is not None:
            with contextlib.suppress(OSError):
                os.write(self.block_fd, b"go")
            os.close(self.block_fd)
            self.block_fd = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def workspace_root(self) -> str | None:
        """The host path of the shell's ``/workspace`` (None when the shell has gone)."""
        if not self.sandboxed:
            return None
        if self.inner_pid is None:
            return None
        return f"/proc/{self.inner_pid}/root{WORKSPACE}"

    def resize(self, cols: int, rows: int) -> None:
        """Tell the terminal its new size (the kernel sends SIGWINCH to the shell)."""
        with contextlib.suppress(OSError):
            fcntl.ioctl(self.master_fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def kill(self) -> None:
        """SIGKILL the sandbox's pid 1 (the kernel kills everything inside) and bubblewrap."""
        if self.block_fd is not None:
            os.close(self.block_fd)
            self.block_fd = None
        if self.inner_pid is not None:
            kill_pid(self.inner_pid)
        kill_tree(self.proc.pid)
        if self.memory is not None:
            self.memory.remove()


class ShellSandbox:
    """Starts room shells in bubblewrap as ``uid_base + slot``, one slot per live shell."""

    def __init__(self, *, bwrap: str | None, uid_base: int, limits: ShellLimits,
                 memory: MemoryGroups | None = None) -> None:
        self.bwrap = bwrap
        self.uid_base = uid_base
        self.limits = limits
        self.memory = memory

    async def start(self, slot: int, *, cols: int, rows: int) -> Shell:
        """Start a shell on a new terminal of ``cols`` x ``rows``; the caller reads
        ``master_fd`` and kills the shell when it is done with it."""
        if self.bwrap is None:
            raise RuntimeError("bubblewrap is not installed: the terminal needs it")
        master, slave = os.openpty()
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        fds = [slave, info_w, block_r]
        try:
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            uid = self.uid_base + slot
            files = {
                "/etc/passwd": f"runner:x:{uid}:{uid}:runner:{HOME}:/bin/bash\n".encode(),
                "/etc/group": f"runner:x:{uid}:\n".encode(),
                "/etc/bash.bashrc": BASHRC,
            }
            file_fds = {}
            for path, content in files.items():
                file_fds[path] = memfd("shell", content)
                fds.append(file_fds[path])
            argv = self._command(uid, file_fds, info_w, block_r)
            # The whole shell in its memory group, from its first process on.
            group = None if self.memory is None else self.memory.create(
                f"shell-{slot}", self.limits.shell_memory_mb * 1024 * 1024)
            if group is not None:
                argv = group.command(argv)
            proc = await asyncio.to_thread(
                subprocess.Popen,
                argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                pass_fds=[*file_fds.values(), info_w, block_r],
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
                cwd="/",
            )
        except BaseException:
            for fd in (master, info_r, block_w):
                os.close(fd)
            raise
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        inner = await asyncio.to_thread(_read_child_pid, info_r)
        os.set_blocking(master, False)
        shell = Shell(proc, master, inner, sandboxed=True, uid=uid, block_fd=block_w)
        if inner is None or not await _mounted(inner):
            shell.kill()
            os.close(master)
            raise RuntimeError("the sandbox did not start")
        shell.memory = group
        return shell

    def _command(
        self, uid: int, file_fds: dict[str, int], info_fd: int, block_fd: int
    ) -> list[str]:
        lim = self.limits
        address_space = lim.address_space_mb * 1024 * 1024
        argv = [
            "prlimit",
            f"--cpu={lim.cpu_seconds}:{lim.cpu_seconds + 1}",
            f"--as={address_space}:{address_space}",
            f"--fsize={lim.file_size_bytes}:{lim.file_size_bytes}",
            f"--nofile={lim.open_files}:{lim.open_files}",
            f"--nproc={lim.processes}:{lim.processes}",
            "--core=0:0",
            "--",
            "nice",
            "-n",
            "10",
        ]
        if os.geteuid() == 0:
            argv += [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--",
            ]
        assert self.bwrap is not None
        argv += [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--clearenv",
            "--hostname",
            "sandbox",
            "--info-fd",
            str(info_fd),
            "--block-fd",
            str(block_fd),
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
            str(lim.tmp_bytes),
            "--tmpfs",
            "/tmp",
            "--size",
            str(lim.home_bytes),
            "--tmpfs",
            HOME,
            "--size",
            str(lim.workspace_bytes),
            "--tmpfs",
            WORKSPACE,
        ]
        for path in ETC_FILES:
            argv += ["--ro-bind-try", path, path]
        argv += ["--ro-bind-try", "/etc/terminfo", "/etc/terminfo"]
        for path, fd in file_fds.items():
            argv += ["--file", str(fd), path]
        env = {
            "PATH": SANDBOX_PATH,
            "HOME": HOME,
            "USER": "runner",
            "TMPDIR": "/tmp",
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "GOCACHE": "/tmp/go-cache",
            "GOPATH": "/tmp/go",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += [
            "--remount-ro",
            "/",
            "--chdir",
            WORKSPACE,
            "--",
            "setsid",
            "-c",
            "bash",
            "-i",
        ]
        return argv


MOUNT_WAIT_SECONDS = 3.0


async def _mounted(pid: int) -> bool:
    """Wait until the sandbox's ``/workspace`` is its own tmpfs (bubblewrap reports the pid
    before it has built the sandbox's root)."""
    root = f"/proc/{pid}/root"
    deadline = asyncio.get_running_loop().time() + MOUNT_WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        try:
            if os.stat(root + WORKSPACE).st_dev != os.stat(root + "/usr").st_dev:
                return True
        except OSError:
            pass
        await asyncio.sleep(0.005)
    return False


def _read_child_pid(fd: int) -> int | None:
    """bubblewrap writes ``{"child-pid": N}`` once the sandbox is set up, then closes it."""
    data = b""
    try:
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    try:
        pid = json.loads(data.decode()).get("child-pid")
    except (ValueError, AttributeError):
        return None
    return pid if isinstance(pid, int) else None
