"""The project tree in the record, over a real server and real y-websocket clients: the hub
puts file create, rename and delete on the timeline (and each person's open file), attributed
to whoever made them; an import is one event; the report holds every file of the final tree."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import httpx

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, join
from tests.support.server import Server

FILE_EVENTS = ("file_created", "file_renamed", "file_deleted", "files_imported", "file_opened")


async def _events(server: Server, lead: Actor, room_id: str, count: int) -> list[dict[str, Any]]:
    """The room's file events once there are ``count`` (the recorder writes a batch every
    group commit)."""
    found: list[dict[str, Any]] = []
    for _ in range(200):
        answer = httpx.get(f"{server.url}/api/rooms/{room_id}/timeline", headers=lead.headers)
        assert answer.status_code == 200, answer.text
        found = [e for e in answer.json()["events"] if e["type"] in FILE_EVENTS]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {found}")


def _brief(event: dict[str, Any]) -> tuple[str, ...]:
    keys = ("type", "path", "from")
    return tuple(str(event[k]) for k in keys if k in event)


async def test_file_events_on_the_timeline(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    assert (await node.connect("c", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("setFiles", client="c", files={"pkg/util.py": "X = 1\n", "notes.md": "hi\n"})
    # A rename is a removal and an addition in one update; so is moving a folder.
    await node.call("setFiles", client="c", files={"pkg/util.py": None, "lib/util.py": "X = 1\n"})
    await node.call("setFiles", client="c", files={"notes.md": None})
    # Renaming the entry file changes meta.entry (its Y.Text stays `code`).
    await node.call("setFiles", client="c", files={}, entry="app.py")
    await node.call("setAwareness", client="c", field="file", value="lib/util.py")
    events = await _events(server, lead, room["id"], 6)
    assert [_brief(e) for e in events] == [
        ("file_created", "notes.md"),
        ("file_created", "pkg/util.py"),
        ("file_renamed", "lib/util.py", "pkg/util.py"),
        ("file_deleted", "notes.md"),
        ("file_renamed", "app.py", "main.py"),
        ("file_opened", "lib/util.py"),
    ]
    assert all(e["actor"] == {"name": "Cody", "role": "candidate"} for e in events)
    assert events[4]["entry"] is True

    # An import is the importer's one event, not one per file.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.py", "A = 1\n")
        archive.writestr("b.py", "B = 1\n")
    answer = httpx.post(
        f"{server.url}/api/rooms/{room['id']}/files.zip",
        content=out.getvalue(),
        headers={**lead.headers, "content-type": "application/zip"},
    )
    assert answer.status_code == 200, answer.text
    assert (await node.call("waitFiles", client="c", files={"a.py": "A = 1\n"}))["ok"]
    # One more edit from the client after the import: the import's own changes are not
    # attributed to the client's next update.
    await node.call("setFiles", client="c", files={"c.py": ""})
    events = await _events(server, lead, room["id"], 8)
    assert [_brief(e) for e in events[6:]] == [
        ("files_imported",),
        ("file_created", "c.py"),
    ]
    assert events[6]["paths"] == ["a.py", "b.py"] and events[6]["actor"]["role"] == "lead"


async def test_the_report_holds_every_file(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    assert (await node.connect("c", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("type", client="c", text="from lib import util\n", delay=0)
    files = {"lib/util.py": "def f():\n    return 1\n", "tests/test_util.py": "def test(): ...\n"}
    await node.call("setFiles", client="c", files=files)
    await node.close()
    await asyncio.sleep(0.3)  # one group commit
    url = f"{server.url}/api/rooms/{room['id']}/report"
    report = httpx.get(url, params={"format": "json"}, headers=lead.headers).json()
    assert report["code"]["entry"] == "main.py"
    assert report["code"]["text"] == "from lib import util\n"
    assert report["code"]["files"] == [
        {"path": "main.py", "text": "from lib import util\n"},
        {"path": "lib/util.py", "text": files["lib/util.py"]},
        {"path": "tests/test_util.py", "text": files["tests/test_util.py"]},
    ]
    markdown = httpx.get(url, params={"format": "md"}, headers=lead.headers).text
    assert "3 files; the entry file is `main.py`." in markdown
    assert "### lib/util.py\n\n```python\ndef f():\n    return 1\n\n```" in markdown
    assert "### tests/test\\_util.py" in markdown or "### tests/test_util.py" in markdown
    pdf = httpx.get(url, params={"format": "pdf"}, headers=lead.headers, timeout=120)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The candidate never reads the report.
    assert httpx.get(url, headers=cand.headers).status_code in (401, 403)
