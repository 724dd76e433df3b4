"""The hub's peak memory under heavy typing: several rooms, many keystrokes and pastes, the
keyframes the hub writes every 500 rows.

    .venv/bin/python bench/hub_memory.py [--rooms 6] [--updates 3000] [--paste-every 10]
        [--paste-bytes 2000] [--source DIR]

Starts ``codepair serve`` (SQLite), opens one writer per room on its ``code`` document and
sends each room's updates as fast as the server takes them: one-character appends made by a
real ``Doc``, with a paste of ``--paste-bytes`` at the end every ``--paste-every`` updates
(appended text is what merges into long runs that Yrs squashes: codepair/hub/yupdate.py).
A reader per room confirms that everything arrived. Prints the server's resident memory
after start-up, its peak (VmHWM, reset through ``/proc/PID/clear_refs`` once the server is
warm) over the run, and its resident memory at the end, and how many keyframes were
written. ``--source`` serves another checkout's ``codepair`` (through PYTHONPATH), to
measure before and after a change on the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets
from pycrdt import Doc, Text, create_update_message

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.api import bootstrap_lead, create_room  # noqa: E402
from tests.support.server import Server  # noqa: E402


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def typing(updates: int, paste_every: int, paste_bytes: int) -> list[bytes]:
    """One person's updates: keystrokes appended at the end, and now and then a paste."""
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    frames: list[bytes] = []
    doc.observe(lambda event: frames.append(create_update_message(event.update)))
    for i in range(updates):
        if paste_every and i % paste_every == paste_every - 1:
            text.insert(len(text), (f"paste {i} " * paste_bytes)[:paste_bytes])
        else:
            text.insert(len(text), "abcdefghij\n"[i % 11])
    return frames


async def room_load(url: str, frames: list[bytes]) -> tuple[float, float]:
    """Send every frame on one socket; a second socket waits until all have arrived.
    Returns the time that took and the longest wait between two frames at the reader."""
    # No pings and a generous handshake timeout: a server stalled by a keyframe answers late.
    opts: dict[str, Any] = {"max_size": None, "open_timeout": 300, "ping_interval": None}
    async with websockets.connect(url, **opts) as writer, websockets.connect(url, **opts) as reader:
        await writer.recv()
        await reader.recv()
        started = last = time.perf_counter()
        for frame in frames:
            await writer.send(frame)
        seen = 0
        gap = 0.0
        while seen < len(frames):
            message = await reader.recv()
            if isinstance(message, bytes) and message[:2] == b"\x00\x02":
                seen += 1
                now = time.perf_counter()
                gap, last = max(gap, now - last), now
        return time.perf_counter() - started, gap


async def main(args: argparse.Namespace) -> None:
    if args.source:
        os.environ["PYTHONPATH"] = str(Path(args.source).resolve())
    srv = Server(
        data_dir=Path(tempfile.mkdtemp(prefix="codepair-memory-")),
        env_overrides={
            "CODEPAIR_LOG_LEVEL": "WARNING",
            "CODEPAIR_YJS_MESSAGES_PER_SECOND": "100000",
            "CODEPAIR_YJS_MESSAGE_BURST": "100000",
        },
    ).start()
    try:
        assert srv.proc is not None
        pid = srv.proc.pid
        lead = bootstrap_lead(srv)
        rooms = [create_room(srv, lead) for _ in range(args.rooms)]
        frames = typing(args.updates, args.paste_every, args.paste_bytes)
        urls = [f"{srv.ws_url}/ws/rooms/{r['id']}/yjs/code?token={lead.token}" for r in rooms]
        await room_load(urls[0], frames[:10])  # warm: the code imported, a room loaded
        idle = status_kib(pid, "VmRSS")
        # Start the peak from here: start-up itself peaks higher than the idle server.
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        started = time.perf_counter()
        walls = await asyncio.gather(*(room_load(url, frames) for url in urls))
        # Until the log and its keyframes are written: every room's rows, a keyframe each 500.
        due = args.rooms * (len(frames) // 500)
        rows = keyframes = 0
        for _ in range(600):
            with sqlite3.connect(srv.data_dir / "codepair.db") as db:
                rows = db.execute("SELECT count(*) FROM yjs_updates").fetchone()[0]
                keyframes = db.execute("SELECT count(*) FROM yjs_keyframes").fetchone()[0]
            if keyframes >= due:
                break
            await asyncio.sleep(0.1)
        wall = time.perf_counter() - started
        peak = status_kib(pid, "VmHWM")
        end = status_kib(pid, "VmRSS")
    finally:
        srv.kill()
    sent = sum(len(f) for f in frames) * args.rooms
    print(f"source: {args.source or ROOT}")
    print(
        f"{args.rooms} rooms x {args.updates} updates (a {args.paste_bytes}-byte paste every"
        f" {args.paste_every}); {sent / 2**20:.1f} MiB sent; {rows} rows, {keyframes} keyframes"
    )
    spans, gaps = [w for w, _ in walls], [g for _, g in walls]
    print(f"wall {wall:.1f} s to the last keyframe (rooms {min(spans):.1f}-{max(spans):.1f} s)")
    print(f"longest wait between two frames at a reader: {max(gaps) * 1e3:.0f} ms")
    print(f"resident after start-up: {idle / 1024:.0f} MiB")
    print(f"peak resident during the run: {peak / 1024:.0f} MiB (+{(peak - idle) / 1024:.0f})")
    print(f"resident at the end: {end / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=6)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--paste-every", type=int, default=10)
    parser.add_argument("--paste-bytes", type=int, default=2000)
    parser.add_argument("--source", default="", help="serve this checkout's codepair")
    asyncio.run(main(parser.parse_args()))
