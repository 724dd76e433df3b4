"""The interview record at full size: a generated 60-minute interview, read back.

    .venv/bin/python bench/replay_bench.py [--port 8103] [--updates 20000]
        [--database-url postgresql+asyncpg://...] [--no-browser]

Generates one interview the size the issue names (20,000 code updates from two authors with
idle stretches, 50 runs, 100 chat messages, joins, language changes, pastes and tab switches,
spread over 60 minutes), writes it the way the hub does (the update log in group commits,
keyframes, a compaction), then measures on a real server (`codepair serve`):

- `GET /api/rooms/{id}/timeline` and `GET /api/rooms/{id}/history/code?at=` at random
  moments (round trip on localhost, and `doc_at` in-process: the server-side time);
- the storage one hour of interview costs (rows and bytes of its tables);
- with Chromium (Playwright), the replay page: the final state painted after navigation,
  and seeks to random moments (each measured to the next painted frame), p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Map, Text
from sqlalchemy import text, update

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.models.interviews import ChatMessage, Room, Run
from codepair.domain.record import history
from codepair.domain.record.timeline import add_event
from codepair.hub.store import Batch, PendingUpdate, UpdateLog

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
PASSWORD = "bench-password-123"
HOUR = timedelta(hours=1)


def generate(count: int, start: datetime) -> list[tuple[bytes, datetime, str]]:
    """``count`` keystroke updates by a candidate (most) and an interviewer, over an hour,
    with bursts of typing, pauses, deletions and a few pastes: (update, at, author)."""
    rng = random.Random(11)
    cand: Doc[Any] = Doc()
    host: Doc[Any] = Doc()
    out: list[tuple[bytes, datetime, str]] = []
    docs = {"candidate:c1": cand, "user:1": host}
    sent: list[bytes] = []
    for d in docs.values():
        d.observe(lambda event: sent.append(event.update))
    # Moments: a Poisson-ish typing rate in bursts, with idle stretches of 20 s to 3 min.
    moments: list[float] = []
    t = 5.0
    while len(moments) < count:
        if rng.random() < 0.004:
            t += rng.uniform(20, 180)
        t += rng.expovariate(9.0)
        moments.append(t)
    scale = 3540 / moments[-1]
    words = [
        "def",
        "for",
        "in",
        "return",
        "if",
        "else",
        "while",
        "range",
        "len",
        "print",
        "append",
        "sorted",
        "dict",
        "list",
    ]
    cursors = {"candidate:c1": 0, "user:1": 0}
    for i in range(count):
        author = "user:1" if rng.random() < 0.12 else "candidate:c1"
        doc = docs[author]
        code = doc.get("code", type=Text)
        length = len(code)
        # Typing happens at a caret that moves now and then (a click, an arrow key).
        if rng.random() < 0.02:
            cursors[author] = rng.randint(0, length)
        pos = min(cursors[author], length)
        sent.clear()
        roll = rng.random()
        if roll < 0.12 and pos > 0:
            del code[pos - 1 : pos]
            cursors[author] = pos - 1
        elif roll < 0.122:
            chunk = "\n".join(f"    {w} = {w}(x)" for w in rng.sample(words, 4)) + "\n"
            code.insert(pos, chunk)
            cursors[author] = pos + len(chunk)
        elif roll < 0.1225:
            doc.get("meta", type=Map)["language"] = rng.choice(["python", "javascript"])
        else:
            ch = rng.choice(["\n", " ", *"abcdefghijklmnopqrstuvwxyz():=+"])
            code.insert(pos, ch)
            cursors[author] = pos + 1
        other_name = "user:1" if author == "candidate:c1" else "candidate:c1"
        for payload in list(sent):
            docs[other_name].apply_update(payload)
        if cursors[other_name] > pos:
            cursors[other_name] += len(code) - length
        at = start + timedelta(seconds=moments[i] * scale)
        out.extend((u, at, author) for u in sent[:1])
    return out


async def write_interview(settings: Settings, room_id: str, count: int) -> dict[str, Any]:
    engine = create_engine(settings)
    factory = session_factory(engine)
    start = datetime.now(UTC) - HOUR
    updates = generate(count, start)
    log = UpdateLog(factory, None)  # type: ignore[arg-type]  # writes only: no Reads needed
    began = time.perf_counter()
    # As the hub writes: group commits of what arrived in each 50 ms window.
    batch: list[PendingUpdate] = []
    last_seq = 0
    window_end = updates[0][1] + timedelta(milliseconds=50)
    for payload, at, author in updates:
        if at > window_end and batch:
            b = Batch(room_id, "code", batch, last_seq)
            await log.append([b])
            last_seq = b.last_seq or last_seq
            batch = []
            window_end = at + timedelta(milliseconds=50)
        batch.append(PendingUpdate(payload, at, author))
    if batch:
        await log.append([Batch(room_id, "code", batch, last_seq)])
    while await log.write_keyframes(room_id, "code"):
        pass
    await log.compact(room_id, "code")
    write_s = time.perf_counter() - began
    rng = random.Random(5)
    async with transaction(factory) as db:
        await db.execute(
            update(Room).where(Room.id == room_id).values(created_at=start, started_at=start)
        )
        for name, role in (("Lena Lead", "lead"), ("Cody", "candidate")):
            await add_event(db, room_id, "joined", actor_name=name, actor_role=role, at=start)
        for i in range(100):
            at = start + timedelta(seconds=rng.uniform(0, 3590))
            who, role = rng.choice([("Lena Lead", "lead"), ("Cody", "candidate")])
            db.add(
                ChatMessage(
                    room_id=room_id,
                    author_name=who,
                    author_role=role,
                    text=f"message {i}",
                    sent_at=at,
                )
            )
            await add_event(
                db,
                room_id,
                "chat",
                actor_name=who,
                actor_role=role,
                data={"text": f"message {i}"},
                at=at,
            )
        for i in range(50):
            at = start + timedelta(seconds=rng.uniform(0, 3590))
            run_id = secrets.token_hex(8)
            db.add(
                Run(
                    id=run_id,
                    room_id=room_id,
                    author_name="Cody",
                    author_role="candidate",
                    language="python",
                    code="print(1)\n" * 40,
                    stdin="",
                    status="ok",
                    stdout=f"run {i}\n" * 5,
                    stderr="",
                    compile_output="",
                    exit_code=0,
                    created_at=at,
                    finished_at=at + timedelta(seconds=1),
                )
            )
            await add_event(
                db,
                room_id,
                "run",
                actor_name="Cody",
                actor_role="candidate",
                data={"run_id": run_id},
                at=at,
            )
        for i in range(10):
            at = start + timedelta(seconds=rng.uniform(0, 3590))
            await add_event(
                db,
                room_id,
                "paste",
                actor_name="Cody",
                actor_role="candidate",
                data={"chars": 40 + i, "external": True},
                at=at,
            )
            await add_event(
                db,
                room_id,
                "focus_lost",
                actor_name="Cody",
                actor_role="candidate",
                at=at + timedelta(seconds=2),
            )
            await add_event(
                db,
                room_id,
                "focus_returned",
                actor_name="Cody",
                actor_role="candidate",
                data={"away_seconds": 20},
                at=at + timedelta(seconds=22),
            )
        await add_event(db, room_id, "ended", actor_name=None, actor_role=None, at=start + HOUR)
        await db.execute(update(Room).where(Room.id == room_id).values(ended_at=start + HOUR))
    async with factory() as db:
        stored = await history.storage(db, room_id)
        # The document at random moments, in-process (the server-side cost of the endpoint).
        times = []
        for _ in range(60):
            at = start + timedelta(seconds=rng.uniform(0, 3600))
            began = time.perf_counter()
            await history.doc_at(db, room_id, "code", at)
            times.append((time.perf_counter() - began) * 1000)
        if settings.is_sqlite:
            stored["database_file_bytes"] = sum(
                p.stat().st_size for p in settings.data_dir.glob("codepair.db*")
            )
        else:
            rows = await db.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['yjs_updates',"
                    "'yjs_keyframes','yjs_snapshots','room_events']::regclass[]) AS c"
                )
            )
            stored["tables_bytes"] = int(rows.scalar() or 0)
    await engine.dispose()
    return {
        "write_s": write_s,
        "storage": stored,
        "doc_at_ms": times,
        "start": start,
        "updates": len(updates),
    }


def row(label: str, values: list[float]) -> None:
    print(f"| {label} | {pct(values, 50):.1f} ms | {pct(values, 95):.1f} ms |")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def browser(base: str, email: str, room_id: str, seeks: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = b.new_page(base_url=base, viewport={"width": 1440, "height": 900})
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Interviews", exact=True).wait_for()
        paints: list[float] = []
        first: list[float] = []
        indexed: list[float] = []
        marks: list[dict[str, float]] = []
        for _ in range(3):
            began = time.perf_counter()
            page.goto(f"/rooms/{room_id}/replay")
            # The final code painted: the plain preview (from GET history/code, before the
            # editor's chunk and the record are in) or the editor of the full page.
            page.wait_for_function(
                "() => (document.querySelector('[data-testid=replay-editor]')"
                "?.textContent ?? '').trim().length > 0"
            )
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            first.append((time.perf_counter() - began) * 1000)
            page.wait_for_function(
                "() => window.codepairReplay && "
                "document.querySelector('[data-testid=replay-editor] .view-line')"
            )
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            paints.append((time.perf_counter() - began) * 1000)
            page.wait_for_function(
                "() => window.codepairReplay && window.codepairReplay.indexed()", timeout=60_000
            )
            indexed.append((time.perf_counter() - began) * 1000)
            # Where the time goes: the page's own marks and the requests, from navigation.
            marks.append(
                page.evaluate(
                    """() => {
                        const out = {};
                        for (const m of performance.getEntriesByType('mark'))
                            if (m.name.startsWith('replay:')) out[m.name.slice(7)] = m.startTime;
                        for (const r of performance.getEntriesByType('resource')) {
                            const name = r.name.includes('/replay') ? 'GET replay'
                                : r.name.includes('/history/code') ? 'GET history/code'
                                : r.name.includes('ReplayView') ? 'ReplayView chunk'
                                : r.name.includes('ReplayPage') ? 'ReplayPage chunk'
                                : r.name.includes('textIndex.worker') ? 'index worker'
                                : r.name.includes('/auth/refresh') ? 'POST auth/refresh' : '';
                            if (name && !(name + ' done' in out)) {
                                out[name + ' start'] = r.startTime;
                                out[name + ' done'] = r.responseEnd;
                            }
                        }
                        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                        if (fcp) out['first contentful paint'] = fcp.startTime;
                        return out;
                    }"""
                )
            )
        took: list[dict[str, float]] = page.evaluate(
            """async (n) => {
                const r = window.codepairReplay; const out = [];
                const frame = () => new Promise(res => requestAnimationFrame(() => res()));
                for (let i = 0; i < n; i++) {
                    const t = r.start + Math.random() * (r.end - r.start);
                    const began = performance.now();
                    const sync = r.seek(t);
                    await frame();
                    out.push({ sync, painted: performance.now() - began });
                }
                return out;
            }""",
            seeks,
        )
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "replay-bench.png"))
        b.close()
    return {
        "paint_ms": paints,
        "first_ms": first,
        "indexed_ms": indexed,
        "marks": marks,
        "seek_sync": [t["sync"] for t in took],
        "seek_painted": [t["painted"] for t in took],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="codepair-replay-bench-"))
    env = {**os.environ, "CODEPAIR_DATA_DIR": str(data), "CODEPAIR_LOG_LEVEL": "WARNING"}
    if args.database_url:
        env["CODEPAIR_DATABASE_URL"] = args.database_url
    settings = Settings(
        data_dir=data,
        database_url=args.database_url or f"sqlite+aiosqlite:///{data / 'codepair.db'}",
    )
    subprocess.run([VENV / "codepair", "migrate"], env=env, check=True, capture_output=True)
    email = f"bench-{secrets.token_hex(3)}@example.com"
    subprocess.run(
        [
            VENV / "codepair",
            "create-user",
            email,
            "--name",
            "Lena Lead",
            "--role",
            "lead",
            "--password",
            PASSWORD,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [VENV / "codepair", "serve", "--port", str(args.port)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(600):
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            token = c.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()[
                "access_token"
            ]
            headers = {"Authorization": f"Bearer {token}"}
            room = c.post(
                "/api/rooms",
                headers=headers,
                json={"candidate_name": "Cody Candidate", "title": "Replay bench"},
            ).json()
            made = asyncio.run(write_interview(settings, room["id"], args.updates))
            start: datetime = made["start"]
            timeline_ms, history_ms, replay_ms = [], [], []
            rng = random.Random(3)
            for i in range(40):
                began = time.perf_counter()
                r = c.get(f"/api/rooms/{room['id']}/timeline", headers=headers)
                timeline_ms.append((time.perf_counter() - began) * 1000)
                assert r.status_code == 200, r.text
                events = len(r.json()["events"])
                at = (start + timedelta(seconds=rng.uniform(1, 3599))).isoformat()
                began = time.perf_counter()
                r = c.get(
                    f"/api/rooms/{room['id']}/history/code", headers=headers, params={"at": at}
                )
                history_ms.append((time.perf_counter() - began) * 1000)
                assert r.status_code == 200, r.text
                if i < 5:
                    began = time.perf_counter()
                    r = c.get(f"/api/rooms/{room['id']}/replay", headers=headers)
                    replay_ms.append((time.perf_counter() - began) * 1000)
                    replay_bytes = len(r.content)
                    wire_bytes = r.num_bytes_downloaded  # gzipped (httpx accepts gzip)
        st = made["storage"]
        print(f"interview: {made['updates']} code updates, {events} timeline events,", end=" ")
        print(f"written in {made['write_s']:.1f} s")
        print("| measure | p50 | p95 |")
        print("|---|---:|---:|")
        row(f"GET timeline ({events} events)", timeline_ms)
        row("GET history/code?at= (round trip)", history_ms)
        row("doc_at in-process (server side)", made["doc_at_ms"])
        sizes = f"{replay_bytes / 1e6:.1f} MB JSON, {wire_bytes / 1e6:.2f} MB gzipped"
        row(f"GET replay ({sizes}), first", replay_ms[:1])
        row("GET replay again (the ended room's answer is cached)", replay_ms[1:])
        if not args.no_browser:
            seen = browser(base, email, room["id"], args.seeks)
            row("replay page: final code painted (3 loads)", seen["first_ms"])
            row("replay page: scrubber ready, final state painted", seen["paint_ms"])
            row("replay page: text index built (seeks need no Yjs)", seen["indexed_ms"])
            row("replay seek, synchronous", seen["seek_sync"])
            row("replay seek, to the painted frame", seen["seek_painted"])
            print("replay page, ms from navigation (3 loads):")
            for name in sorted(seen["marks"][-1], key=lambda k: seen["marks"][-1][k]):
                print(f"  {name}: {', '.join(f'{m.get(name, -1):.0f}' for m in seen['marks'])}")
        sizes = ", ".join(
            f"{k} {v / 1e6:.2f} MB"
            for k, v in st.items()
            if k.endswith("file_bytes") or k == "tables_bytes"
        )
        print(
            f"storage of the hour: {st['update_rows']} rows, {st['update_bytes'] / 1e6:.2f} MB",
            end="",
        )
        print(
            f" of updates, {st['keyframes']} keyframes {st['keyframe_bytes'] / 1e6:.2f} MB; {sizes}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
