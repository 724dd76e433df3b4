"""Language servers: which program serves which language, and one of them running sandboxed.

A :class:`ServerSpec` says what a language server is (its command line inside the sandbox,
the files it needs on the host, the file extensions it reads); nothing else in this module
knows one language from another (jupyter-lsp's specs). :class:`LanguageServerProcess` runs
one of them for as long as a room needs it, in the primitives of :mod:`codepair.runner.sandbox`
(``prlimit`` → ``setpriv`` → ``bwrap``) with these differences from a code run:

- it lives for minutes, so there is no CPU-time or wall limit (the room's idle timer stops it);
  its memory is capped with ``RLIMIT_DATA``, not ``RLIMIT_AS``: Node and Go reserve gigabytes
  of address space they never touch, and only writable private memory counts against DATA;
- it runs at ``nice`` 10 and ``SCHED_IDLE`` (only on a CPU nothing else wants), below the
  hub, as ``nobody`` (uid 65534) with no network (``--unshare-all``), ``/usr`` read-only, a
  size-capped ``/tmp`` as its home, the npm toolchains read-only at ``/opt/toolchains`` and
  the room's files read-only at ``/workspace`` (a host directory the session writes);
- its stdin and stdout carry LSP's ``Content-Length`` frames; its stderr is only logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from codepair.runner.cgroups import MemoryGroup
from codepair.runner.processes import open_path
from codepair.runner.sandbox import ETC_FILES

log = structlog.get_logger("codepair.lsp")

NOBODY = 65534
TOOLCHAINS_INSIDE = "/opt/toolchains"
WORKSPACE_INSIDE = "/workspace"
#: A message from a language server bigger than this ends it (a bug or a runaway answer).
MAX_SERVER_MESSAGE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """One language server: what it is called, how it starts, what it needs and reads."""

    name: str
    title: str  # for people: "Python (pyright)"
    languages: tuple[str, ...]  # Monaco's language ids it serves
    argv: tuple[str, ...]  # inside the sandbox
    # Host files that must exist: absolute, or relative to a toolchains directory.
    needs: tuple[str, ...]
    extensions: dict[str, str]  # file extension -> LSP languageId
    env: dict[str, str] = field(default_factory=dict)
    initialization_options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # workspace/configuration answers

    def language_id(self, path: str) -> str | None:
        """The LSP languageId of a file this server reads, or None for any other file."""
        _, dot, ext = path.rpartition(".")
        return self.extensions.get(ext) if dot else None


def _node(script: str, *args: str, heap_mb: int = 1024) -> tuple[str, ...]:
    return ("/usr/bin/node", f"--max-old-space-size={heap_mb}", script, *args)


SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec(
        name="pyright",
        title="Python (pyright)",
        languages=("python",),
        argv=_node(
            f"{TOOLCHAINS_INSIDE}/node_modules/pyright/langserver.index.js", "--stdio"
        ),
        needs=("/usr/bin/node", "node_modules/pyright/langserver.index.js"),
        extensions={"py": "python", "pyi": "python"},
        settings={
            "python": {"analysis": {"typeCheckingMode": "standard", "diagnosticMode":
                                    "openFilesOnly", "autoSearchPaths": True}},
        },
    ),
    ServerSpec(
        name="typescript",
        title="TypeScript and JavaScript (typescript-language-server)",
        languages=("typescript", "javascript"),
        argv=_node(
            f"{TOOLCHAINS_INSIDE}/node_modules/typescript-language-server/lib/cli.mjs", "--stdio"
        ),
        needs=(
            "/usr/bin/node",
            "node_modules/typescript-language-server/lib/cli.mjs",
            "node_modules/typescript/lib/tsserver.js",
        ),
        extensions={
            "ts": "typescript", "tsx": "typescriptreact", "mts": "typescript",
            "cts": "typescript", "js": "javascript", "jsx": "javascriptreact",
            "mjs": "javascript", "cjs": "javascript",
        },
        initialization_options={
            "tsserver": {"path": f"{TOOLCHAINS_INSIDE}/node_modules/typescript/lib/tsserver.js"},
            "hostInfo": "codepair",
        },
    ),
    ServerSpec(
        name="clangd",
        title="C and C++ (clangd)",
        languages=("c", "cpp"),
        argv=("/usr/bin/clangd", "--log=error", "--background-index=false", "-j=1",
              "--pch-storage=memory", "--header-insertion=never"),
        needs=("/usr/bin/clangd",),
        extensions={
            "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "hpp": "cpp",
            "hh": "cpp", "hxx": "cpp",
        },
    ),
    ServerSpec(
        name="gopls",
        title="Go (gopls)",
        languages=("go",),
        argv=("/usr/bin/gopls", "serve"),
        needs=("/usr/bin/gopls", "/usr/bin/go"),
        extensions={"go": "go", "mod": "go.mod"},
        env={"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOCACHE": "/tmp/gocache",
             "GOPATH": "/tmp/go", "GO111MODULE": "auto", "GOTOOLCHAIN": "local"},
    ),
)

#: Monaco's language id -> the server that serves it.
BY_LANGUAGE: dict[str, ServerSpec] = {lang: spec for spec in SERVERS for lang in spec.languages}
#: Languages the contract names that have no server here, and why (said in the room).
WITHOUT_SERVER: dict[str, str] = {
    "java": "Java has no language server here: Eclipse JDT LS is not packaged for Debian and "
    "needs well over the 1 GiB a room's language server may use",
    "rust": "Rust has no language server here: rust-analyzer is not packaged for Debian",
    "shell": "Shell scripts have no language server here",
}


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """What one language server may use."""

    memory_mb: int = 1024
    tree_memory_mb: int = 2048  # every process of the server together (a memory cgroup)
    tmpfs_bytes: int = 128 * 1024 * 1024
    open_files: int = 1024
    # Counted per uid across every room's servers (all run as nobody), threads included.
    processes: int = 4096


def find_toolchains(spec: ServerSpec, search: Sequence[Path]) -> Path | bool | None:
    """The toolchains directory that holds what ``spec`` needs, True when it needs none,
    or None when this machine lacks it."""
    absolute = [n for n in spec.needs if n.startswith("/")]
    if not all(os.path.exists(n) for n in absolute):
        return None
    relative = [n for n in spec.needs if not n.startswith("/")]
    if not relative:
        return True
    for directory in search:
        if all((directory / n).exists() for n in relative):
            return directory
    return None


def sandbox_argv(
    spec: ServerSpec,
    *,
    bwrap: str,
    limits: ServerLimits,
    workspace_fd: int,
    toolchains_fd: int | None,
) -> list[str]:
    """The command line that starts ``spec`` sandboxed (see the module's docstring)."""
    data = limits.memory_mb * 1024 * 1024
    argv = [
        "prlimit",
        f"--data={data}:{data}",
        f"--nofile={limits.open_files}:{limits.open_files}",
        f"--nproc={limits.processes}:{limits.processes}",
        f"--fsize={limits.tmpfs_bytes}:{limits.tmpfs_bytes}",
        "--core=0:0",
        "--",
        # Below the hub: a busy language server must not delay anyone's keystrokes. nice
        # alone is not enough (measured: ten busy pyright at nice 10 took the hub's keystroke
        # p99 from 1.6 to 48 ms); SCHED_IDLE runs them only on a CPU nothing else wants.
        "nice",
        "-n",
        "10",
        "chrt",
        "--idle",
        "0",
    ]
    if os.geteuid() == 0:
        argv += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                 "--no-new-privs", "--"]
    argv += [
        bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--clearenv", "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
    ]
    for path in ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    argv += ["--ro-bind-fd", str(workspace_fd), WORKSPACE_INSIDE]
    if toolchains_fd is not None:
        argv += ["--ro-bind-fd", str(toolchains_fd), TOOLCHAINS_INSIDE]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "XDG_CACHE_HOME": "/tmp/cache", **spec.env}
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += ["--remount-ro", "/", "--chdir", WORKSPACE_INSIDE, "--", *spec.argv]
    return argv


MessageHandler = Callable[[dict[str, Any]], None]
#: An answer's id and its ``result`` as the server wrote it (JSON text, not parsed).
RawAnswerHandler = Callable[[int, bytes], None]

# A large answer (a completion list is tens to hundreds of KiB) is passed on without being
# parsed, when it has the shape vscode-jsonrpc writes (pyright, typescript-language-server):
# parsing and re-encoding it on the event loop cost the hub's keystrokes milliseconds.
RAW_ANSWER_BYTES = 16 * 1024
_ANSWER_HEAD = re.compile(rb'\{"jsonrpc":"2\.0","id":(\d{1,15}),"result":')


class LanguageServerProcess:
    """One sandboxed language server: JSON-RPC messages in and out over its stdio."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        workspace: Path,
        toolchains: Path | None,
        bwrap: str | None,
        limits: ServerLimits,
        on_message: MessageHandler,
        label: str,
        memory: MemoryGroup | None = None,
        on_raw_answer: RawAnswerHandler | None = None,
    ) -> None:
        self.spec = spec
        self.on_raw_answer = on_raw_answer
        self.memory = memory  # the whole sandbox's cap, joined by its first process
        self.workspace = workspace
        self.toolchains = toolchains
        self.bwrap = bwrap
        self.limits = limits
        self.on_message = on_message
        self.label = label  # the room, for the log: stderr is never shown to anyone
        self.proc: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def start(self) -> None:
        fds: list[int] = []
        try:
            if self.bwrap is None:  # tests without bubblewrap only (never in production)
                argv = [a.replace(WORKSPACE_INSIDE, str(self.workspace)) for a in self.spec.argv]
                if self.toolchains is not None:
                    argv = [a.replace(TOOLCHAINS_INSIDE, str(self.toolchains)) for a in argv]
                pass_fds: list[int] = []
                cwd: str | None = str(self.workspace)
            else:
                ws = open_path(str(self.workspace), fds)
                tc = open_path(str(self.toolchains), fds) if self.toolchains else None
                argv = sandbox_argv(self.spec, bwrap=self.bwrap, limits=self.limits,
                                    workspace_fd=ws, toolchains_fd=tc)
                if self.memory is not None:
                    argv = self.memory.command(argv)
                pass_fds = list(fds)
                cwd = "/"
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=pass_fds,
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
                cwd=cwd,
                limit=MAX_SERVER_MESSAGE,
            )
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._tasks = [
            asyncio.create_task(self._read_stdout(), name=f"lsp-out-{self.spec.name}"),
            asyncio.create_task(self._read_stderr(), name=f"lsp-err-{self.spec.name}"),
            asyncio.create_task(self._wait(), name=f"lsp-wait-{self.spec.name}"),
        ]

    def send(self, message: dict[str, Any]) -> None:
        """Write one JSON-RPC message (never blocks; a dead server drops it)."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing():
            return
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        out = self.proc.stdout
        try:
            while True:
                length = -1
                while True:
                    line = await out.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length < 0 or length > MAX_SERVER_MESSAGE:
                    log.warning("lsp_bad_frame", server=self.spec.name, room=self.label)
                    self.kill()
                    return
                body = await out.readexactly(length)
                if self.on_raw_answer is not None and len(body) >= RAW_ANSWER_BYTES:
                    head = _ANSWER_HEAD.match(body)
                    if head is not None and body.endswith(b"}"):
                        self.on_raw_answer(int(head.group(1)), body[head.end():-1])
                        continue
                try:
                    message = json.loads(body)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self.on_message(message)
        except (asyncio.IncompleteReadError, ValueError, ConnectionError):
            return
        except Exception:
            log.exception("lsp_read_failed", server=self.spec.name, room=self.label)
            self.kill()

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        logged = 0
        with contextlib.suppress(Exception):
            while line := await self.proc.stderr.readline():
                if logged < 200:  # what it prints goes to our log, capped, never to a room
                    logged += 1
                    log.info("lsp_stderr", server=self.spec.name, room=self.label,
                             line=line[:300].decode("utf-8", "replace").rstrip())

    async def _wait(self) -> None:
        assert self.proc is not None
        code = await self.proc.wait()
        if not self.exited.done():
            self.exited.set_result(code)

    def kill(self) -> None:
        """SIGKILL the sandbox (its pid 1 takes everything inside with it)."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)

    async def stop(self, grace: float = 1.0) -> None:
        """Ask it to shut down; kill it after ``grace`` seconds."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.send({"jsonrpc": "2.0", "id": "shutdown", "method": "shutdown"})
            self.send({"jsonrpc": "2.0", "method": "exit"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.exited), grace)
            self.kill()
        await self._drain()

    async def _drain(self) -> None:
        for task in self._tasks:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 2.0)

    def memory_kb(self) -> int:
        """Resident memory of every process of this server's sandbox, in KiB."""
        if self.proc is None:
            return 0
        return tree_rss_kb(self.proc.pid)


def tree_rss_kb(root: int) -> int:
    """The summed VmRSS of ``root`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                status = fh.read()
        except OSError:
            continue
        ppid = 0
        for line in status.splitlines():
            if line.startswith("PPid:"):
                ppid = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def bubblewrap() -> str | None:
    """bubblewrap's path, when installed."""
    return shutil.which("bwrap")


