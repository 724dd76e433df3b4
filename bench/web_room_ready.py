"""How fast the interview room is usable: navigation start to an editable, synced editor.

Starts ``codepair serve`` on a free port (SQLite), makes a lead, a room and a candidate, then
opens the room ``--loads`` times in Debian's Chromium, each in a fresh browser context (cold
cache: every load downloads the entry, the room chunk and Monaco's worker), and reports when
the editor is on screen with the code document synced and the events socket connected.

    (cd web && npm ci && npm run build)
    .venv/bin/python bench/web_room_ready.py --loads 5
    .venv/bin/python bench/web_room_ready.py --loads 5 --mbps 20 --rtt 40   # a home link

Target (issue 4): under 1.5 s on localhost. ``--mbps``/``--rtt`` emulate a link (Chromium's
network conditions: bandwidth down, round-trip latency) for what a candidate at home meets;
``--identity`` asks for uncompressed files (the server as it was before api/web_assets.py). Each
load also reports the bytes that crossed the network (HTTP bodies and headers, not sockets).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server

READY = (
    "() => !!document.querySelector('[data-testid=code-editor] .view-lines')"
    " && document.querySelector('[data-testid=connection]')?.dataset.online === 'true'"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--mbps", type=float, default=0, help="emulated downlink (0: none)")
    parser.add_argument("--rtt", type=float, default=0, help="emulated round trip, ms")
    parser.add_argument("--identity", action="store_true", help="refuse compressed copies")
    args = parser.parse_args()
    link = Link(args.mbps, args.rtt, args.identity)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(data_dir=Path(tmp)).start()
        try:
            lead = bootstrap_lead(server)
            room = create_room(server, lead)
            candidate = join(server, room)
            times, sizes = measure(
                server, room["id"], candidate.token, candidate.name, args.loads, link
            )
        finally:
            server.stop()
    print(f"room ready (cold cache), {len(times)} loads on {server.url}, {link}")
    print(f"  median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f}")
    print(f"  transferred {statistics.median(sizes) / 1e6:.2f} MB per load")
    if not link.mbps:
        print(f"  target 1500 ms: {'ok' if statistics.median(times) < 1500 else 'OVER'}")
    return 0


@dataclass(frozen=True)
class Link:
    mbps: float
    rtt: float
    identity: bool

    def __str__(self) -> str:
        where = f"{self.mbps:g} Mbit/s, {self.rtt:g} ms round trip" if self.mbps else "localhost"
        return where + (", uncompressed" if self.identity else "")


def measure(
    server: Server, room_id: str, token: str, name: str, loads: int, link: Link
) -> tuple[list[float], list[int]]:
    """Milliseconds from navigation start to a ready room, and the bytes it took, once per
    fresh context."""
    session = (
        f"sessionStorage.setItem('codepair.candidate', JSON.stringify("
        f"{{room_id: '{room_id}', token: '{token}', name: '{name}'}}))"
    )
    times: list[float] = []
    sizes: list[int] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(
                base_url=server.url,
                viewport=VIEWPORT,
                permissions=["camera", "microphone"],
                extra_http_headers={"accept-encoding": "identity"} if link.identity else None,
            )
            context.add_init_script(session)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            received: list[int] = []
            cdp.on("Network.loadingFinished", partial(_count, received))
            if link.mbps:
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": link.rtt,
                        "downloadThroughput": link.mbps * 1e6 / 8,
                        "uploadThroughput": link.mbps * 1e6 / 8 / 4,
                    },
                )
            started = time.perf_counter()
            page.goto(f"/rooms/{room_id}", wait_until="commit")
            page.wait_for_function(READY, polling=20, timeout=30_000)
            # performance.now() counts from the navigation's start inside the page itself.
            ready_ms = float(page.evaluate("() => performance.now()"))
            times.append(min(ready_ms, (time.perf_counter() - started) * 1000))
            sizes.append(sum(received))
            context.close()
        browser.close()
    return times, sizes


def _count(into: list[int], event: dict[str, float]) -> None:
    into.append(int(event["encodedDataLength"]))


if __name__ == "__main__":
    sys.exit(main())
