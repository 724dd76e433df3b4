"""The languages table: how to compile and run each language inside the sandbox.

Commands are argument lists as the sandbox sees them (``/usr`` is the host's, read-only).
Placeholders: ``{source}`` (the file name), ``{stem}`` (the name without extension: Java's
class), ``{memory_mb}`` (the run's memory limit, for runtimes that need it as a flag) and
``{build}`` (where compiled files are, read-only, while the program runs).

An operator extends or overrides the table with a TOML or JSON file
(``CODEPAIR_RUNNER_LANGUAGES_FILE``)::

    [languages.ruby]
    name = "Ruby"
    source = "main.rb"
    run = ["ruby", "main.rb"]
    version = ["ruby", "--version"]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

#: Where the host's toolchain directories outside /usr appear in the sandbox.
OPT = "/opt"

#: CodePair's own test kit (report writers for test commands), read-only in every sandbox.
TESTKIT = Path(__file__).resolve().parent / "testkit"
TESTKIT_MOUNT = f"{OPT}/codepair"
#: The Node libraries ``make toolchains`` installs (React for starter projects and previews):
#: read-only at this path in JavaScript and TypeScript sandboxes, which find them through
#: ``NODE_PATH`` (Node's ``require`` and esbuild's bundler both read it).
NODE_LIBRARIES_MOUNT = f"{OPT}/node_modules"
NODE_LIBRARIES = ("react", "react-dom")

#: PATH inside the sandbox; the same directories exist on the host because /usr is bound.
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"

#: Address space a runtime reserves beyond its heap (V8, the JVM, Go's page summaries).
VM_HEADROOM_MB = 1024
GO_HEADROOM_MB = 512

_JVM_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:ReservedCodeCacheSize=64m",
    "-Xshare:auto",
)


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How one language is compiled and run.

    ``memory_headroom_mb`` is added to the address-space limit for runtimes that reserve
    virtual memory they never touch; their heap is capped by a flag (``{memory_mb}``) instead.
    ``mounts`` maps host directories to sandbox paths (read-only), for toolchains that live
    outside ``/usr``.
    """

    id: str
    name: str
    source: str
    run: tuple[str, ...]
    compile: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    memory_headroom_mb: int = 0
    mounts: Mapping[str, str] = field(default_factory=dict)

    @property
    def compiled(self) -> bool:
        return bool(self.compile)

    def source_name(self, code: str) -> str:
        """The file name for ``code``; Java's file must be named after its public class."""
        if self.id == "java":
            match = re.search(r"\bpublic\s+(?:final\s+|abstract\s+)*class\s+(\w+)", code)
            if match:
                return f"{match.group(1)}.java"
        return self.source

    def expand(
        self, argv: tuple[str, ...], *, source: str, memory_mb: int, build: str
    ) -> list[str]:
        """``argv`` with its placeholders filled in."""
        stem = source.rsplit(".", 1)[0]
        values = {"source": source, "stem": stem, "memory_mb": str(memory_mb), "build": build}
        return [arg.format(**values) for arg in argv]


def _spec(**kwargs: Any) -> LanguageSpec:
    for key in ("run", "compile", "version"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return LanguageSpec(**kwargs)


def default_specs() -> dict[str, LanguageSpec]:
    """The built-in table, before toolchain discovery. Ids are Monaco's language ids."""
    go_env = {"GOCACHE": "/build/.cache/go", "GOPATH": "/build/.gopath", "GO111MODULE": "off"}
    specs = [
        _spec(id="python", name="Python", source="main.py", run=["python3", "main.py"],
              version=["python3", "--version"], env={"PYTHONUNBUFFERED": "1",
                                                     "PYTHONDONTWRITEBYTECODE": "1"}),
        _spec(id="javascript", name="JavaScript (Node.js)", source="main.js",
              run=["node", "--max-old-space-size={memory_mb}", "main.js"],
              version=["node", "--version"], memory_headroom_mb=VM_HEADROOM_MB),
        _spec(id="typescript", name="TypeScript (esbuild + Node.js)", source="main.ts",
              compile=[f"{OPT}/esbuild/esbuild", "main.ts", "--outfile=main.js", "--format=cjs",
                       "--platform=node", "--target=node18", "--log-level=warning"],
              run=["node", "--max-old-space-size={memory_mb}", "{build}/main.js"],
              version=["node", "--version"], memory_headroom_mb=VM_HEADROOM_MB),
        _spec(id="c", name="C (GCC)", source="main.c",
              compile=["gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"],
              run=["{build}/main"], version=["gcc", "--version"]),
        _spec(id="cpp", name="C++ (G++)", source="main.cpp",
              compile=["g++", "-O2", "-std=gnu++20", "-pipe", "-o", "main", "main.cpp"],
              run=["{build}/main"], version=["g++", "--version"]),
        _spec(id="java", name="Java", source="Main.java",
              compile=["javac", *(f"-J{flag}" for flag in _JVM_FLAGS), "-encoding", "UTF-8",
                       "-d", ".", "{source}"],
              run=["java", "-Xmx{memory_mb}m", *_JVM_FLAGS, "-cp", "{build}", "{stem}"],
              version=["java", "-version"], memory_headroom_mb=VM_HEADROOM_MB),
        _spec(id="rust", name="Rust", source="main.rs",
              compile=["rustc", "--edition=2021", "-C", "opt-level=1", "-o", "main", "main.rs"],
              run=["{build}/main"], version=["rustc", "--version"]),
        _spec(id="go", name="Go", source="main.go", compile=["go", "build", "-o", "main",
                                                             "main.go"],
              run=["{build}/main"], version=["go", "version"], env=go_env,
              # Go has no hard heap cap; its runtime needs about 600 MiB of address space.
              memory_headroom_mb=GO_HEADROOM_MB),
        _spec(id="shell", name="Bash", source="main.sh", run=["bash", "main.sh"],
              version=["bash", "--version"]),
    ]
    return {spec.id: spec for spec in specs}


def load_specs(path: Path | None) -> dict[str, LanguageSpec]:
    """The built-in table merged with the operator's file (its entries win, key by key)."""
    specs = default_specs()
    if path is None:
        return specs
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    for lang_id, entry in dict(data.get("languages", {})).items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: languages.{lang_id} must be a table")
        if entry.get("disabled"):
            specs.pop(lang_id, None)
            continue
        base = specs.get(lang_id)
        fields = {k: v for k, v in entry.items() if k != "disabled"}
        for key in ("run", "compile", "version"):
            if key in fields:
                fields[key] = tuple(str(arg) for arg in fields[key])
        if base is not None:
            specs[lang_id] = replace(base, **fields)
        else:
            if "run" not in fields or "source" not in fields:
                raise ValueError(f"{path}: languages.{lang_id} needs `source` and `run`")
            fields.setdefault("name", lang_id)
            specs[lang_id] = LanguageSpec(id=lang_id, **fields)
    return specs


# --- discovery: toolchains that do not live in /usr -------------------------------------


def _under_usr(path: Path) -> bool:
    return path.is_relative_to("/usr")


def discover(specs: dict[str, LanguageSpec], *, search_dirs: list[Path]) -> dict[str, LanguageSpec]:
    """Point Rust and TypeScript at the toolchains this host has.

    rustup installs Rust under root's home; its sysroot is mounted read-only at ``/opt/rust``
    (through a hard-linked mirror when the sandbox uid cannot reach it, see
    :func:`reachable_copy`). esbuild comes from npm (see docs/runner.md).
    """
    out = dict(specs)
    rust = out.get("rust")
    if rust is not None and rust.compile and rust.compile[0] == "rustc" and not Path(
        "/usr/bin/rustc"
    ).exists():
        sysroot = _rust_sysroot()
        if sysroot is not None:
            rustc = f"{OPT}/rust/bin/rustc"
            out["rust"] = replace(
                rust,
                compile=(rustc, *rust.compile[1:]),
                version=(rustc, "--version"),
                mounts={**rust.mounts, str(sysroot): f"{OPT}/rust"},
            )
    ts = out.get("typescript")
    if ts is not None and ts.compile and ts.compile[0] == f"{OPT}/esbuild/esbuild":
        binary = find_esbuild(search_dirs)
        if binary is not None:
            out["typescript"] = replace(
                ts, mounts={**ts.mounts, str(binary.parent): f"{OPT}/esbuild"}
            )
    libraries = find_node_libraries(search_dirs)
    for lang in ("javascript", "typescript"):
        spec = out.get(lang)
        if spec is not None and libraries is not None:
            out[lang] = replace(
                spec, mounts={**spec.mounts, str(libraries): NODE_LIBRARIES_MOUNT},
                env={"NODE_PATH": NODE_LIBRARIES_MOUNT, **spec.env},
            )
    if TESTKIT.is_dir():
        for lang, spec in out.items():
            out[lang] = replace(spec, mounts={**spec.mounts, str(TESTKIT): TESTKIT_MOUNT})
    return out


def find_node_libraries(search_dirs: list[Path]) -> Path | None:
    """The first ``node_modules`` under ``search_dirs`` that holds every one of
    :data:`NODE_LIBRARIES` (``make toolchains`` installs them beside esbuild)."""
    for base in search_dirs:
        folder = base / "node_modules"
        if all((folder / name / "package.json").is_file() for name in NODE_LIBRARIES):
            return folder.resolve()
    return None


def world_traversable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def reachable_copy(sysroot: Path, toolchains_dir: Path) -> Path | None:
    """``sysroot`` itself when any uid can reach it, else a hard-linked mirror of it (or None).

    bubblewrap resolves mount sources as the sandbox uid, so a toolchain under ``/root``
    (mode 0700) cannot be mounted as it is. Hard links cost no space and keep the files'
    modes; the mirror is named after the toolchain's version, so an update makes a new one.
    """
    if world_traversable(sysroot):
        return sysroot
    # Named after the source path and its mtimes: a toolchain update (which replaces bin/)
    # makes a new mirror, and two directories with the same name never share one.
    stamps = [str(p.stat().st_mtime_ns) for p in (sysroot, sysroot / "bin") if p.exists()]
    key = hashlib.sha256("\0".join([str(sysroot), *stamps]).encode()).hexdigest()[:16]
    target = toolchains_dir / f"mirror-{sysroot.name}-{key}"
    if target.is_dir():
        return target
    # Private to this process until the rename: servers starting together do not collide.
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        toolchains_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o755)
        try:
            _copy_tree(sysroot, tmp, "-al")
        except subprocess.CalledProcessError:
            # Another filesystem: hard links are impossible, copy (once) instead.
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(mode=0o755)
            _copy_tree(sysroot, tmp, "-a")
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process made it first
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    return target if world_traversable(target) else None


def _copy_tree(source: Path, target: Path, mode: str) -> None:
    for entry in source.iterdir():
        if entry.name == "share":  # documentation: thousands of files nobody runs
            continue
        subprocess.run(["cp", mode, str(entry), str(target / entry.name)], check=True,
                       capture_output=True, timeout=600)


def _rust_sysroot() -> Path | None:
    rustc = shutil.which("rustc")
    if rustc is None:
        return None
    try:
        done = subprocess.run(
            [rustc, "--print", "sysroot"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(done.stdout.strip())
    if done.returncode != 0 or not (path / "bin" / "rustc").is_file():
        return None
    return path.resolve()


def find_esbuild(search_dirs: list[Path]) -> Path | None:
    """esbuild's native binary: in an npm prefix under one of ``search_dirs``, or on PATH."""
    candidates = []
    for base in search_dirs:
        candidates.append(base / "node_modules" / "@esbuild" / "linux-x64" / "bin" / "esbuild")
        candidates.append(base / "node_modules" / "@esbuild" / "linux-arm64" / "bin" / "esbuild")
    on_path = shutil.which("esbuild")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        real = candidate.resolve()
        # The native binary is named esbuild; npm's bin shim may be a JS file that needs Node.
        if real.is_file() and real.name == "esbuild" and not _is_script(real):
            return real
    return None


def _is_script(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"#!"


# --- probing: which of the table this host can run ------------------------------------------


def sandbox_binary(argv0: str, spec: LanguageSpec) -> Path | None:
    """Where the sandbox's ``argv0`` is on the host, or None when it is missing."""
    if argv0.startswith("{build}"):
        return Path("/")  # produced by the compile step
    if argv0.startswith("/"):
        for host, inside in spec.mounts.items():
            if argv0.startswith(inside.rstrip("/") + "/"):
                path = Path(host) / argv0[len(inside.rstrip("/")) + 1 :]
                return path if path.exists() else None
        path = Path(argv0)
        return path if _under_usr(path.resolve()) and path.exists() else None
    for directory in SANDBOX_PATH.split(":"):
        path = Path(directory) / argv0
        if path.is_file() and _under_usr(path.resolve()):
            return path
    return None


def missing_tools(spec: LanguageSpec) -> list[str]:
    """The commands of ``spec`` that the sandbox would not find."""
    tools = [spec.run[0]] + ([spec.compile[0]] if spec.compile else [])
    return [tool for tool in tools if sandbox_binary(tool, spec) is None]


def probe_version(spec: LanguageSpec) -> str:
    """The toolchain's version line, run on the host (outside the sandbox: it is our binary)."""
    if not spec.version:
        return ""
    argv = list(spec.version)
    binary = sandbox_binary(argv[0], spec)
    if binary is None:
        return ""
    argv[0] = str(binary)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        if line.strip():
            return line.strip()[:100]
    return ""
