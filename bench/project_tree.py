"""A big project tree: how fast a browser shows it, switches files, and what typing costs the hub.

    (cd web && npm run build)
    .venv/bin/python bench/project_tree.py [--loads 5] [--switches 20] [--keys 2000]

A 200-file, 2 MiB Python tree (imported through ``POST files.zip``) in a room served by
``codepair serve`` (SQLite). Prints:

- **open**: navigation start to the file tree (200 rows) and the entry file's text on screen,
  in a fresh browser context each time (cold cache), in Debian's Chromium. Target < 1 s.
- **switch**: a click on a file in the tree to its text in the editor (a model made and bound
  on first open, swapped in after), measured inside the page to the next painted frame.
  Target < 50 ms.
- **keystroke**: the hub's own cost per keystroke update (``DocRoom.receive``: the caps'
  checks, the tree watch, apply, relay, queue for the log), typing into one file of the big
  tree and into a single-file room, in one process, same run. Target: no more than the
  single-file room's. A third figure types into the big tree while another of its files is
  at the per-file cap (1 MiB): each keystroke is then checked on a copy (hub/filecap.py).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from playwright.sync_api import Page, sync_playwright
from pycrdt import Doc, Map, Text, create_update_message

from codepair.config import Settings
from codepair.hub.connection import Connection
from codepair.hub.docroom import DocRoom
from codepair.hub.hub import guard_for
from codepair.security.tokens import Principal
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server

FILES = 200
TREE_BYTES = 2 * 1024 * 1024


def make_tree() -> dict[str, str]:
    """200 Python files, 2 MiB in all, in 10 packages."""
    each = TREE_BYTES // FILES
    files: dict[str, str] = {}
    for i in range(FILES - 1):
        lines, size, n = [], 0, 0
        while size < each:
            line = f"def f_{i}_{n}(x):\n    return x * {n} + {i}  # file {i}, function {n}\n\n"
            lines.append(line)
            size += len(line)
            n += 1
        files[f"pkg{i % 10}/mod_{i}.py"] = "".join(lines)
    files["main.py"] = "from pkg0 import mod_0\nprint(mod_0.f_0_1(2))\n"
    return files


def to_zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return out.getvalue()


TREE_READY = (
    "(n) => document.querySelectorAll('[data-testid=tree-file]').length >= n"
    " && [...document.querySelectorAll('[data-testid=code-editor] .view-line')]"
    ".some(l => l.textContent.includes('print(mod_0'))"
)

SWITCH = """async (path) => {
  const row = document.querySelector(`[data-testid=tree-file][data-path="${path}"]`);
  const host = document.querySelector('[data-testid=code-editor]');
  const want = 'file ' + path.match(/mod_(\\d+)/)[1] + ',';
  const t0 = performance.now();
  row.click();
  await new Promise((resolve) => {
    const check = () => {
      const shown = host.dataset.activeFile === path
        && [...host.querySelectorAll('.view-line')]
          .some((l) => l.textContent.replace(/\u00a0/g, ' ').includes(want));
      if (shown || performance.now() - t0 > 5000) resolve(null); else requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - t0;
}"""


def browser_times(
    server: Server, room_id: str, token: str, loads: int, switches: int
) -> tuple[list[float], list[float], list[float]]:
    session = (
        "sessionStorage.setItem('codepair.candidate', JSON.stringify("
        f"{{room_id: '{room_id}', token: '{token}', name: 'Bench'}}))"
    )
    opens: list[float] = []
    first: list[float] = []
    again: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(loads):
            context = browser.new_context(
                base_url=server.url, viewport=VIEWPORT, permissions=["camera", "microphone"]
            )
            context.add_init_script(session)
            page = context.new_page()
            page.goto(f"/rooms/{room_id}", wait_until="commit")
            page.wait_for_function(TREE_READY, arg=FILES, polling=10, timeout=60_000)
            opens.append(float(page.evaluate("() => performance.now()")))
            if i == loads - 1:
                first, again = switch_times(page, switches)
            context.close()
        browser.close()
    return opens, first, again


def switch_times(page: Page, switches: int) -> tuple[list[float], list[float]]:
    """First opens of files (model made and bound), then switches between open ones."""
    paths = [f"pkg{i % 10}/mod_{i}.py" for i in range(1, switches + 1)]
    first = [float(page.evaluate(SWITCH, path)) for path in paths[:10]]  # 12 tabs stay bound
    again = [float(page.evaluate(SWITCH, path)) for path in paths[:10] * 2]
    return first, again


class _Quiet(Connection):
    def send(self, message: bytes | str) -> None:
        pass

    def close(self, code: int, reason: str) -> None:
        pass

    def abort(self, code: int, reason: str) -> None:
        raise RuntimeError(f"refused: {code} {reason}")


async def keystroke_cost(files: dict[str, str], keys: int) -> tuple[float, float, float]:
    """Microseconds per keystroke in ``DocRoom.receive``: (big tree, single-file room, big
    tree with a file at the cap)."""
    settings = Settings()
    principal = Principal(kind="candidate", role="candidate", name="Bench")

    async def per_key(tree: dict[str, str], target: str | None) -> float:
        client: Doc[Any] = Doc()
        with client.transaction():
            client.get("code", type=Text).insert(0, tree.get("main.py", ""))
            files_map = client.get("files", type=Map)
            for path, text in tree.items():
                if path != "main.py":
                    files_map[path] = Text(text)
        room = DocRoom("bench", "code")
        room.guard = guard_for("code", room.doc, settings)
        room.on_files = lambda conn, events: None
        room.doc.apply_update(client.get_update())
        room.guard.measure(room.doc)
        text = client.get("files", type=Map)[target] if target else client.get("code", type=Text)
        frames = []
        for k in range(keys):
            before = client.get_state()
            text.insert(len(text), "x" if k % 40 else "\n")
            frames.append(create_update_message(client.get_update(before)))
        conn = _Quiet(principal, "candidate")
        room.clients.add(conn)
        # Three rounds, best kept: the machine is shared.
        best = float("inf")
        for _round in range(3):
            fresh = DocRoom("bench", "code")
            fresh.guard = guard_for("code", fresh.doc, settings)
            fresh.on_files = lambda conn, events: None
            fresh.doc.apply_update(room.doc.get_update())
            fresh.guard.measure(fresh.doc)
            fresh.clients.add(conn)
            started = time.perf_counter()
            for frame in frames:
                fresh.receive(conn, frame)
            best = min(best, (time.perf_counter() - started) / keys * 1e6)
        return best

    big = await per_key(files, "pkg5/mod_105.py")
    single = await per_key({"main.py": files["main.py"]}, None)
    full = {**files, "pkg0/full.txt": "f" * settings.project_max_file_bytes}
    near = await per_key(full, "pkg5/mod_105.py")
    return big, single, near


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--keys", type=int, default=2000)
    args = parser.parse_args()
    files = make_tree()
    size = sum(len(t.encode()) for t in files.values())
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(data_dir=Path(tmp)).start(timeout=180)  # a busy machine starts slowly
        try:
            lead = bootstrap_lead(server)
            room = create_room(server, lead, language="python")
            body = to_zip(files)
            answer = httpx.post(
                f"{server.url}/api/rooms/{room['id']}/files.zip",
                content=body,
                timeout=60,
                headers={**lead.headers, "content-type": "application/zip"},
            )
            answer.raise_for_status()
            candidate = join(server, room)
            opens, first, again = browser_times(
                server, room["id"], candidate.token, args.loads, args.switches
            )
        finally:
            server.stop()
    big, single, near = asyncio.run(keystroke_cost(files, args.keys))
    med = statistics.median
    mib, zkib = size / 1024 / 1024, len(body) / 1024
    print(f"project tree: {len(files)} files, {mib:.2f} MiB (zip {zkib:.0f} KiB)")
    verdict = "ok" if med(opens) < 1000 else "OVER"
    print(
        f"open (cold cache, tree + entry on screen): median {med(opens):.0f} ms, "
        f"min {min(opens):.0f}, max {max(opens):.0f}  target 1000: {verdict}"
    )
    print(f"switch, first open of a file: median {med(first):.1f} ms, max {max(first):.1f}")
    verdict = "ok" if max(med(first), med(again)) < 50 else "OVER"
    print(
        f"switch between open files: median {med(again):.1f} ms, max {max(again):.1f}  "
        f"target 50: {verdict}"
    )
    print(
        f"hub per keystroke: big tree {big:.1f} us, single-file room {single:.1f} us "
        f"({big / single:.2f}x); big tree with a file at the cap {near:.1f} us"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
