"""Gzipped sizes of the built web client: the entry (sign-in, dashboard) and the room chunk.

    (cd web && npm ci && npm run build)
    .venv/bin/python bench/web_bundle.py

Targets (issue 4): the entry under 300 KB gzipped. Monaco lives only in the room chunk, which
the browser fetches when a room page opens; the editor worker is fetched after that, and the
notes editor (TipTap) only for interviewers. The whiteboard (Excalidraw) is the board chunk,
fetched when the Board tab is first opened. The room and board rows count each chunk with the
chunks it imports statically (what the browser must fetch before it runs), less what an
earlier row already loaded; the lazy parts they import on demand (Excalidraw's font
subsetting, its diagram converters) are not counted.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
ENTRY_BUDGET = 300 * 1024


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def entry_files(dist: Path) -> list[Path]:
    """The script and styles index.html loads up front (its modulepreloads too)."""
    html = (dist / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', html)
    return [dist / ref for ref in refs]


_STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./([^"]+\.js)"')


def static_closure(assets: Path, roots: list[Path]) -> list[Path]:
    """``roots`` and every chunk they import statically, transitively."""
    seen: dict[Path, None] = {}
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        if path.suffix == ".js":
            todo.extend(assets / name for name in _STATIC_IMPORT.findall(path.read_text()))
    return list(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=DIST)
    args = parser.parse_args()
    dist: Path = args.dist
    if not (dist / "index.html").is_file():
        print(f"no build at {dist}: run `cd web && npm ci && npm run build`", file=sys.stderr)
        return 1
    assets = dist / "assets"
    entry = static_closure(assets, entry_files(dist))
    room = [p for p in static_closure(assets, sorted(assets.glob("RoomPage-*"))) if p not in entry]
    board = [
        p
        for p in static_closure(assets, sorted(assets.glob("BoardPanel-*")))
        if p not in entry and p not in room
    ]
    groups = {
        "entry (index.html loads)": entry,
        "room chunk": room,
        "board chunk (Board tab)": board,
        "notes chunk (interviewers)": sorted(assets.glob("NotesPanel-*")),
        "editor worker": sorted(assets.glob("editor.worker-*")),
        "language grammars": sorted(
            p
            for p in assets.glob("*.js")
            if re.match(r"(python|javascript|typescript|cpp|java|rust|go|shell)-", p.name)
        ),
    }
    print(f"{'part':<28}{'files':>6}{'raw KB':>10}{'gzip KB':>10}")
    totals: dict[str, int] = {}
    for name, files in groups.items():
        raw = sum(p.stat().st_size for p in files)
        packed = sum(gz(p) for p in files)
        totals[name] = packed
        print(f"{name:<28}{len(files):>6}{raw / 1024:>10.1f}{packed / 1024:>10.1f}")
    entry = totals["entry (index.html loads)"]
    verdict = "ok" if entry < ENTRY_BUDGET else "OVER BUDGET"
    print(f"entry gzip {entry / 1024:.1f} KB vs budget {ENTRY_BUDGET / 1024:.0f} KB: {verdict}")
    return 0 if entry < ENTRY_BUDGET else 2


if __name__ == "__main__":
    sys.exit(main())
