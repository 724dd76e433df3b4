"""The board in the record: its elements at a moment (history) and the final board in the
report, drawn by real y-websocket clients."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub.nodeclients import NodeClients
from tests.hub.test_hub_board import element
from tests.support.api import Actor, create_user, join
from tests.support.server import Server


async def _settled(http: httpx.Client, room_id: str, headers: dict[str, str], count: int) -> None:
    """Until the log holds ``count`` live elements (the group commit runs every 50 ms)."""
    for _ in range(100):
        r = http.get(f"/api/rooms/{room_id}/history/board", headers=headers)
        assert r.status_code == 200, r.text
        if len(r.json()["elements"]) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the log never held {count} elements")


async def test_board_at_a_moment_and_in_the_report(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any], tmp_path: Path
) -> None:
    cand = join(server, room)
    await node.connect("cand", server.ws_url, room["id"], "board", cand.token)
    await node.call(
        "setElements",
        client="cand",
        elements=[element("box", index="a0"), element("db", type="ellipse", x=300, index="a1")],
    )
    with httpx.Client(base_url=server.url, timeout=60) as http:
        await _settled(http, room["id"], lead.headers, 2)
        earlier = datetime.now(UTC)
        await asyncio.sleep(0.1)
        await node.call(
            "setElements",
            client="cand",
            elements=[
                element("box", 2, index="a0", isDeleted=True),
                element(
                    "label",
                    type="text",
                    text="LOADBALANCER",
                    x=0,
                    y=200,
                    width=200,
                    height=25,
                    fontSize=20,
                    index="a2",
                ),
                element("link", type="arrow", points=[[0, 0], [200, 0]], y=100, index="a3"),
            ],
        )
        await _settled(http, room["id"], lead.headers, 3)

        r = http.get(
            f"/api/rooms/{room['id']}/history/board",
            params={"at": earlier.isoformat()},
            headers=lead.headers,
        )
        assert r.status_code == 200, r.text
        assert [el["id"] for el in r.json()["elements"]] == ["box", "db"]
        r = http.get(f"/api/rooms/{room['id']}/history/board", headers=lead.headers)
        assert [el["id"] for el in r.json()["elements"]] == ["db", "label", "link"]

        # The record is for the room's interviewers: not the candidate, not a stranger.
        stranger = create_user(server, lead, "interviewer")
        for headers, status in ((cand.headers, 403), (stranger.headers, 404), ({}, 401)):
            r = http.get(f"/api/rooms/{room['id']}/history/board", headers=headers)
            assert r.status_code == status, (headers, r.text)

        r = http.get(
            f"/api/rooms/{room['id']}/report", params={"format": "json"}, headers=lead.headers
        )
        assert r.status_code == 200, r.text
        board = r.json()["board"]
        assert board["elements"] == 3
        assert "<ellipse" in board["svg"] and "LOADBALANCER" in board["svg"]

        r = http.get(
            f"/api/rooms/{room['id']}/report", params={"format": "pdf"}, headers=lead.headers
        )
        assert r.status_code == 200, r.text
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(r.content)
    if shutil.which("pdftotext") is None:
        missing = "pdftotext (poppler-utils) is not installed"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "LOADBALANCER" in text  # the board's SVG is drawn in the PDF, its text with it
